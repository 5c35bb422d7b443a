package org.isthmus.kernels;

/**
 * The geometry of 2-D pooling over NCHW input. Output sizes follow
 * floor((H + 2·pad − kernel) / stride) + 1, and padding may be at most half the kernel (as in PyTorch),
 * so every window holds at least one input element.
 */
public record Pool2dShape(int batch, int channels, int inHeight, int inWidth,
                          int kernelHeight, int kernelWidth, int strideH, int strideW, int padH, int padW) {

    public Pool2dShape {
        String shape = "input " + batch + "x" + channels + "x" + inHeight + "x" + inWidth + ", kernel "
                + kernelHeight + "x" + kernelWidth + ", stride " + strideH + "x" + strideW + ", padding "
                + padH + "x" + padW;
        if (batch < 1 || channels < 1 || inHeight < 1 || inWidth < 1 || kernelHeight < 1 || kernelWidth < 1) {
            throw new IllegalArgumentException("sizes must be >= 1: " + shape);
        }
        if (strideH < 1 || strideW < 1 || padH < 0 || padW < 0) {
            throw new IllegalArgumentException("stride must be >= 1 and padding >= 0: " + shape);
        }
        if (2 * padH > kernelHeight || 2 * padW > kernelWidth) {
            throw new IllegalArgumentException("padding must be at most half the kernel: " + shape);
        }
        if (inHeight + 2 * padH < kernelHeight || inWidth + 2 * padW < kernelWidth) {
            throw new IllegalArgumentException("the kernel is larger than the padded input: " + shape);
        }
    }

    /** Pooling with a square window, stride equal to the window and no padding (PyTorch's default). */
    public static Pool2dShape of(int batch, int channels, int inHeight, int inWidth, int window) {
        return new Pool2dShape(batch, channels, inHeight, inWidth, window, window, window, window, 0, 0);
    }

    public int outHeight() {
        return (inHeight + 2 * padH - kernelHeight) / strideH + 1;
    }

    public int outWidth() {
        return (inWidth + 2 * padW - kernelWidth) / strideW + 1;
    }

    /** Elements of the input, batch·channels·inHeight·inWidth. */
    public long inputSize() {
        return (long) batch * channels * inHeight * inWidth;
    }

    /** Elements of the output, batch·channels·outHeight·outWidth. */
    public long outputSize() {
        return (long) batch * channels * outHeight() * outWidth();
    }
}
