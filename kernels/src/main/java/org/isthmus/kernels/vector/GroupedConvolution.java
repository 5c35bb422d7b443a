package org.isthmus.kernels.vector;

import java.lang.foreign.MemorySegment;
import org.isthmus.kernels.Conv2dShape;
import org.isthmus.kernels.ConvolutionKernels;

/**
 * A grouped convolution as one ungrouped convolution per group: group g's channels of every
 * image (contiguous within an image in NCHW, not across images) are gathered into a batch of their
 * own, convolved with the group's filters (a contiguous slice of the weights, and of the bias)
 * by the dense kernels, and the result is scattered back. The gathers move the activations once
 * more, which the dense kernels' C/groups·kH·kW multiply-adds per output repay; depthwise
 * convolutions, where they would not, have {@link DepthwiseConvolution}.
 */
final class GroupedConvolution {

    private GroupedConvolution() {
    }

    static void forward(ConvolutionKernels dense, Conv2dShape shape, int groups, MemorySegment x, MemorySegment w,
                        MemorySegment bias, MemorySegment y) {
        Groups split = new Groups(shape, groups);
        MemorySegment groupX = MemorySegment.ofArray(new float[(int) split.group.inputSize()]);
        MemorySegment groupY = MemorySegment.ofArray(new float[(int) split.group.outputSize()]);
        for (int g = 0; g < groups; g++) {
            split.gatherInput(x, g, groupX);
            dense.conv2d(split.group, 1, groupX, split.weights(w, g), split.filters(bias, g), groupY);
            split.scatterOutput(groupY, g, y);
        }
    }

    static void backwardData(ConvolutionKernels dense, Conv2dShape shape, int groups, MemorySegment dy,
                             MemorySegment w, MemorySegment dx) {
        Groups split = new Groups(shape, groups);
        MemorySegment groupDy = MemorySegment.ofArray(new float[(int) split.group.outputSize()]);
        MemorySegment groupDx = MemorySegment.ofArray(new float[(int) split.group.inputSize()]);
        for (int g = 0; g < groups; g++) {
            split.gatherOutput(dy, g, groupDy);
            dense.conv2dBackwardData(split.group, 1, groupDy, split.weights(w, g), groupDx);
            split.scatterInput(groupDx, g, dx);
        }
    }

    static void backwardWeights(ConvolutionKernels dense, Conv2dShape shape, int groups, MemorySegment x,
                                MemorySegment dy, MemorySegment dw, MemorySegment dBias) {
        Groups split = new Groups(shape, groups);
        MemorySegment groupX = MemorySegment.ofArray(new float[(int) split.group.inputSize()]);
        MemorySegment groupDy = MemorySegment.ofArray(new float[(int) split.group.outputSize()]);
        for (int g = 0; g < groups; g++) {
            split.gatherInput(x, g, groupX);
            split.gatherOutput(dy, g, groupDy);
            dense.conv2dBackwardWeights(split.group, 1, groupX, groupDy, split.weights(dw, g), split.filters(dBias, g));
        }
    }

    /** The ungrouped shape of one group, and where group g's channels, filters and weights lie. */
    private static final class Groups {
        final Conv2dShape group;
        private final Conv2dShape whole;
        private final long inPlane;
        private final long outPlane;

        Groups(Conv2dShape whole, int groups) {
            this.whole = whole;
            this.group = new Conv2dShape(whole.batch(), whole.inChannels() / groups, whole.inHeight(), whole.inWidth(),
                    whole.outChannels() / groups, whole.kernelHeight(), whole.kernelWidth(), whole.strideH(),
                    whole.strideW(), whole.padH(), whole.padW(), whole.dilationH(), whole.dilationW());
            this.inPlane = (long) whole.inHeight() * whole.inWidth();
            this.outPlane = (long) whole.outHeight() * whole.outWidth();
        }

        /** Group g's weights: filters [g·K/groups, (g+1)·K/groups), contiguous in [K, C/groups, kH, kW]. */
        MemorySegment weights(MemorySegment w, int g) {
            long floats = group.weightSize();
            return w.asSlice(g * floats * Float.BYTES, floats * Float.BYTES);
        }

        /** Group g's slice of a per-filter vector (bias, dBias), or null. */
        MemorySegment filters(MemorySegment perFilter, int g) {
            long floats = group.outChannels();
            return perFilter == null ? null : perFilter.asSlice(g * floats * Float.BYTES, floats * Float.BYTES);
        }

        void gatherInput(MemorySegment x, int g, MemorySegment groupX) {
            move(x, whole.inChannels(), groupX, group.inChannels(), g * group.inChannels(), inPlane, true);
        }

        void scatterInput(MemorySegment groupDx, int g, MemorySegment dx) {
            move(dx, whole.inChannels(), groupDx, group.inChannels(), g * group.inChannels(), inPlane, false);
        }

        void gatherOutput(MemorySegment dy, int g, MemorySegment groupDy) {
            move(dy, whole.outChannels(), groupDy, group.outChannels(), g * group.outChannels(), outPlane, true);
        }

        void scatterOutput(MemorySegment groupY, int g, MemorySegment y) {
            move(y, whole.outChannels(), groupY, group.outChannels(), g * group.outChannels(), outPlane, false);
        }

        /**
         * Copies, image by image, channels [first, first + count) of {@code all} (NCHW with {@code channels}
         * channels) to or from the batch {@code part} of {@code count} channels.
         */
        private void move(MemorySegment all, int channels, MemorySegment part, int count, int first, long plane,
                          boolean gather) {
            long bytes = count * plane * Float.BYTES;
            for (int n = 0; n < whole.batch(); n++) {
                long inAll = ((long) n * channels + first) * plane * Float.BYTES;
                long inPart = n * bytes;
                if (gather) {
                    MemorySegment.copy(all, inAll, part, inPart, bytes);
                } else {
                    MemorySegment.copy(part, inPart, all, inAll, bytes);
                }
            }
        }
    }
}
