package org.isthmus.kernels.vector;

import java.util.Arrays;
import org.isthmus.kernels.Conv2dShape;

/**
 * The im2col matrix of a band of output rows and its inverse scatter. Row (c, r, s) of the
 * matrix holds, for each output pixel of the band, the input pixel tap (r, s) of channel c reads
 * (zero in the padding); so out = W · col, with W read as outChannels × (inChannels·kH·kW).
 * Images are float[] (heap inputs are read in place, native ones staged by the caller).
 */
final class Im2col {

    private Im2col() {
    }

    /** col[(c,r,s)][(i, ow)] for output rows [firstRow, firstRow + rows), rows·outWidth columns. */
    static void gather(Conv2dShape shape, float[] image, int imageBase, int firstRow, int rows, float[] col) {
        int outWidth = shape.outWidth();
        int bandLength = rows * outWidth;
        int row = 0;
        for (int c = 0; c < shape.inChannels(); c++) {
            for (int r = 0; r < shape.kernelHeight(); r++) {
                for (int s = 0; s < shape.kernelWidth(); s++, row++) {
                    int firstColumn = s * shape.dilationW() - shape.padW();
                    int owStart = firstValid(firstColumn, shape.strideW(), outWidth);
                    int owEnd = endValid(firstColumn, shape.strideW(), shape.inWidth(), outWidth);
                    for (int i = 0; i < rows; i++) {
                        int to = row * bandLength + i * outWidth;
                        int ih = (firstRow + i) * shape.strideH() - shape.padH() + r * shape.dilationH();
                        if (ih < 0 || ih >= shape.inHeight() || owStart >= owEnd) {
                            Arrays.fill(col, to, to + outWidth, 0f);
                            continue;
                        }
                        int from = imageBase + (c * shape.inHeight() + ih) * shape.inWidth() + firstColumn;
                        Arrays.fill(col, to, to + owStart, 0f);
                        if (shape.strideW() == 1) {
                            System.arraycopy(image, from + owStart, col, to + owStart, owEnd - owStart);
                        } else {
                            for (int ow = owStart; ow < owEnd; ow++) {
                                col[to + ow] = image[from + ow * shape.strideW()];
                            }
                        }
                        Arrays.fill(col, to + owEnd, to + outWidth, 0f);
                    }
                }
            }
        }
    }

    /** The adjoint of {@link #gather}: image[pixel] += col[(c,r,s)][(i, ow)] for every tap that read it. */
    static void scatterAdd(Conv2dShape shape, float[] col, int firstRow, int rows, float[] image) {
        int outWidth = shape.outWidth();
        int bandLength = rows * outWidth;
        int row = 0;
        for (int c = 0; c < shape.inChannels(); c++) {
            for (int r = 0; r < shape.kernelHeight(); r++) {
                for (int s = 0; s < shape.kernelWidth(); s++, row++) {
                    int firstColumn = s * shape.dilationW() - shape.padW();
                    int owStart = firstValid(firstColumn, shape.strideW(), outWidth);
                    int owEnd = endValid(firstColumn, shape.strideW(), shape.inWidth(), outWidth);
                    for (int i = 0; i < rows; i++) {
                        int ih = (firstRow + i) * shape.strideH() - shape.padH() + r * shape.dilationH();
                        if (ih < 0 || ih >= shape.inHeight()) {
                            continue;
                        }
                        int from = row * bandLength + i * outWidth;
                        int to = (c * shape.inHeight() + ih) * shape.inWidth() + firstColumn;
                        for (int ow = owStart; ow < owEnd; ow++) {
                            image[to + ow * shape.strideW()] += col[from + ow];
                        }
                    }
                }
            }
        }
    }

    /** The first output column whose input column firstColumn + ow·stride is ≥ 0. */
    private static int firstValid(int firstColumn, int stride, int outWidth) {
        return firstColumn >= 0 ? 0 : Math.min(outWidth, Math.ceilDiv(-firstColumn, stride));
    }

    /** One past the last output column whose input column firstColumn + ow·stride is < inWidth. */
    private static int endValid(int firstColumn, int stride, int inWidth, int outWidth) {
        if (firstColumn >= inWidth) {
            return 0;
        }
        return Math.min(outWidth, Math.ceilDiv(inWidth - firstColumn, stride));
    }
}
