package org.isthmus.kernels.scalar;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.isthmus.kernels.Conv2dShape;
import org.isthmus.kernels.ConvolutionKernels;

/**
 * The reference convolution: direct loops over the definition, each sum accumulated in double.
 * Input pixel (ih, iw) meets output pixel (oh, ow) through kernel tap (r, s) when
 * ih = oh·strideH − padH + r·dilationH and iw = ow·strideW − padW + s·dilationW. With groups,
 * filter k meets the input channels of its group only, g·C/groups + c for c in [0, C/groups)
 * with g = k / (K/groups), through weight [k, c, r, s].
 */
final class ScalarConvolution implements ConvolutionKernels {

    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @Override
    public void conv2d(Conv2dShape shape, int groups, MemorySegment x, MemorySegment w, MemorySegment bias,
                       MemorySegment y) {
        int channels = shape.inChannels() / groups;
        int filters = shape.outChannels() / groups;
        int height = shape.inHeight();
        int width = shape.inWidth();
        int outHeight = shape.outHeight();
        int outWidth = shape.outWidth();
        for (int n = 0; n < shape.batch(); n++) {
            for (int k = 0; k < shape.outChannels(); k++) {
                for (int oh = 0; oh < outHeight; oh++) {
                    for (int ow = 0; ow < outWidth; ow++) {
                        double sum = bias == null ? 0 : bias.getAtIndex(FLOAT, k);
                        for (int c = 0; c < channels; c++) {
                            for (int r = 0; r < shape.kernelHeight(); r++) {
                                int ih = oh * shape.strideH() - shape.padH() + r * shape.dilationH();
                                if (ih < 0 || ih >= height) {
                                    continue;
                                }
                                for (int s = 0; s < shape.kernelWidth(); s++) {
                                    int iw = ow * shape.strideW() - shape.padW() + s * shape.dilationW();
                                    if (iw < 0 || iw >= width) {
                                        continue;
                                    }
                                    long input = inputIndex(shape, n, k / filters * channels + c, ih, iw);
                                    sum += (double) x.getAtIndex(FLOAT, input)
                                            * w.getAtIndex(FLOAT, weightIndex(shape, groups, k, c, r, s));
                                }
                            }
                        }
                        y.setAtIndex(FLOAT, outputIndex(shape, n, k, oh, ow), (float) sum);
                    }
                }
            }
        }
    }

    /** dx[n,c,ih,iw] = Σ over every (k, r, s), k in c's group, whose output pixel exists of dy[n,k,oh,ow]·w[k,c,r,s]. */
    @Override
    public void conv2dBackwardData(Conv2dShape shape, int groups, MemorySegment dy, MemorySegment w, MemorySegment dx) {
        int channels = shape.inChannels() / groups;
        int filters = shape.outChannels() / groups;
        int outHeight = shape.outHeight();
        int outWidth = shape.outWidth();
        for (int n = 0; n < shape.batch(); n++) {
            for (int c = 0; c < shape.inChannels(); c++) {
                for (int ih = 0; ih < shape.inHeight(); ih++) {
                    for (int iw = 0; iw < shape.inWidth(); iw++) {
                        double sum = 0;
                        int firstFilter = c / channels * filters;
                        for (int k = firstFilter; k < firstFilter + filters; k++) {
                            for (int r = 0; r < shape.kernelHeight(); r++) {
                                int oh = outputCoordinate(ih, r, shape.strideH(), shape.padH(), shape.dilationH(), outHeight);
                                if (oh < 0) {
                                    continue;
                                }
                                for (int s = 0; s < shape.kernelWidth(); s++) {
                                    int ow = outputCoordinate(iw, s, shape.strideW(), shape.padW(), shape.dilationW(), outWidth);
                                    if (ow < 0) {
                                        continue;
                                    }
                                    sum += (double) dy.getAtIndex(FLOAT, outputIndex(shape, n, k, oh, ow))
                                            * w.getAtIndex(FLOAT, weightIndex(shape, groups, k, c % channels, r, s));
                                }
                            }
                        }
                        dx.setAtIndex(FLOAT, inputIndex(shape, n, c, ih, iw), (float) sum);
                    }
                }
            }
        }
    }

    /**
     * dw[k,c,r,s] = Σ over n and output pixels of dy[n,k,oh,ow]·x[n,c′,ih,iw] (c′ the group's c-th
     * channel); dBias[k] = Σ dy[n,k,·,·].
     */
    @Override
    public void conv2dBackwardWeights(Conv2dShape shape, int groups, MemorySegment x, MemorySegment dy, MemorySegment dw,
                                      MemorySegment dBias) {
        int channels = shape.inChannels() / groups;
        int filters = shape.outChannels() / groups;
        int outHeight = shape.outHeight();
        int outWidth = shape.outWidth();
        for (int k = 0; k < shape.outChannels(); k++) {
            for (int c = 0; c < channels; c++) {
                for (int r = 0; r < shape.kernelHeight(); r++) {
                    for (int s = 0; s < shape.kernelWidth(); s++) {
                        double sum = 0;
                        for (int n = 0; n < shape.batch(); n++) {
                            for (int oh = 0; oh < outHeight; oh++) {
                                int ih = oh * shape.strideH() - shape.padH() + r * shape.dilationH();
                                if (ih < 0 || ih >= shape.inHeight()) {
                                    continue;
                                }
                                for (int ow = 0; ow < outWidth; ow++) {
                                    int iw = ow * shape.strideW() - shape.padW() + s * shape.dilationW();
                                    if (iw < 0 || iw >= shape.inWidth()) {
                                        continue;
                                    }
                                    long input = inputIndex(shape, n, k / filters * channels + c, ih, iw);
                                    sum += (double) dy.getAtIndex(FLOAT, outputIndex(shape, n, k, oh, ow))
                                            * x.getAtIndex(FLOAT, input);
                                }
                            }
                        }
                        dw.setAtIndex(FLOAT, weightIndex(shape, groups, k, c, r, s), (float) sum);
                    }
                }
            }
        }
        if (dBias == null) {
            return;
        }
        for (int k = 0; k < shape.outChannels(); k++) {
            double sum = 0;
            for (int n = 0; n < shape.batch(); n++) {
                long start = outputIndex(shape, n, k, 0, 0);
                for (long i = start; i < start + (long) outHeight * outWidth; i++) {
                    sum += dy.getAtIndex(FLOAT, i);
                }
            }
            dBias.setAtIndex(FLOAT, k, (float) sum);
        }
    }

    /**
     * The output coordinate whose tap {@code tap} lands on input coordinate {@code in}, or −1 when
     * none does: (in + pad − tap·dilation) must be a non-negative multiple of the stride, below {@code outSize}.
     */
    private static int outputCoordinate(int in, int tap, int stride, int pad, int dilation, int outSize) {
        int shifted = in + pad - tap * dilation;
        if (shifted < 0 || shifted % stride != 0 || shifted / stride >= outSize) {
            return -1;
        }
        return shifted / stride;
    }

    private static long inputIndex(Conv2dShape shape, int n, int c, int ih, int iw) {
        return (((long) n * shape.inChannels() + c) * shape.inHeight() + ih) * shape.inWidth() + iw;
    }

    /** Weight [k, c, r, s] of [outChannels, inChannels/groups, kH, kW]: c counts within k's group. */
    private static long weightIndex(Conv2dShape shape, int groups, int k, int c, int r, int s) {
        return (((long) k * (shape.inChannels() / groups) + c) * shape.kernelHeight() + r) * shape.kernelWidth() + s;
    }

    private static long outputIndex(Conv2dShape shape, int n, int k, int oh, int ow) {
        return (((long) n * shape.outChannels() + k) * shape.outHeight() + oh) * shape.outWidth() + ow;
    }
}
