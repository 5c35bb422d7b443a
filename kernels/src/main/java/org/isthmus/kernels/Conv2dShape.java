package org.isthmus.kernels;

/**
 * The geometry of a 2-D convolution: NCHW input, OIHW weights, NCHW output. Output sizes follow
 * floor((H + 2·pad − dilation·(kernel − 1) − 1) / stride) + 1.
 */
public record Conv2dShape(int batch, int inChannels, int inHeight, int inWidth,
                          int outChannels, int kernelHeight, int kernelWidth,
                          int strideH, int strideW, int padH, int padW,
                          int dilationH, int dilationW) {

    public Conv2dShape {
        if (batch < 1 || inChannels < 1 || inHeight < 1 || inWidth < 1 || outChannels < 1
                || kernelHeight < 1 || kernelWidth < 1) {
            throw new IllegalArgumentException("sizes must be >= 1: " + describe(batch, inChannels, inHeight,
                    inWidth, outChannels, kernelHeight, kernelWidth, strideH, strideW, padH, padW, dilationH, dilationW));
        }
        if (strideH < 1 || strideW < 1 || dilationH < 1 || dilationW < 1 || padH < 0 || padW < 0) {
            throw new IllegalArgumentException("stride and dilation must be >= 1 and padding >= 0: "
                    + describe(batch, inChannels, inHeight, inWidth, outChannels, kernelHeight, kernelWidth,
                    strideH, strideW, padH, padW, dilationH, dilationW));
        }
        if (inHeight + 2 * padH < dilationH * (kernelHeight - 1) + 1
                || inWidth + 2 * padW < dilationW * (kernelWidth - 1) + 1) {
            throw new IllegalArgumentException("the (dilated) kernel is larger than the padded input: "
                    + describe(batch, inChannels, inHeight, inWidth, outChannels, kernelHeight, kernelWidth,
                    strideH, strideW, padH, padW, dilationH, dilationW));
        }
    }

    public int outHeight() {
        return (inHeight + 2 * padH - dilationH * (kernelHeight - 1) - 1) / strideH + 1;
    }

    public int outWidth() {
        return (inWidth + 2 * padW - dilationW * (kernelWidth - 1) - 1) / strideW + 1;
    }

    /** Elements of the input, batch·inChannels·inHeight·inWidth. */
    public long inputSize() {
        return (long) batch * inChannels * inHeight * inWidth;
    }

    /** Elements of the weights, outChannels·inChannels·kernelHeight·kernelWidth. */
    public long weightSize() {
        return (long) outChannels * inChannels * kernelHeight * kernelWidth;
    }

    /** Elements of the weights of a convolution in {@code groups} groups: outChannels·(inChannels/groups)·kH·kW. */
    public long weightSize(int groups) {
        return (long) outChannels * (inChannels / groups) * kernelHeight * kernelWidth;
    }

    /** Elements of the output, batch·outChannels·outHeight·outWidth. */
    public long outputSize() {
        return (long) batch * outChannels * outHeight() * outWidth();
    }

    private static String describe(int n, int c, int h, int w, int k, int r, int s,
                                   int sh, int sw, int ph, int pw, int dh, int dw) {
        return "input " + n + "x" + c + "x" + h + "x" + w + ", weights " + k + "x" + c + "x" + r + "x" + s
                + ", stride " + sh + "x" + sw + ", padding " + ph + "x" + pw + ", dilation " + dh + "x" + dw;
    }
}
