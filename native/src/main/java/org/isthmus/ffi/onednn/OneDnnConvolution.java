package org.isthmus.ffi.onednn;

import org.isthmus.ffi.onednn.OneDnn.Descriptors;
import org.isthmus.ffi.onednn.OneDnn.Execution;
import org.isthmus.ffi.onednn.OneDnn.Slot;
import org.isthmus.ffi.onednn.bindings.dnnl_h;
import org.isthmus.kernels.Conv2dShape;
import org.isthmus.kernels.ConvolutionKernels;

import java.lang.foreign.MemorySegment;

/**
 * conv2d forward, backward data and backward weights as oneDNN primitives, cached by shape.
 *
 * <p>Activations stay in NCHW; the weights' layout is left to oneDNN ({@code format_tag any}):
 * with plain OIHW weights oneDNN falls back to a slow reference or gemm-based convolution, with
 * its own blocked layout it runs its JIT kernels. The weights are reordered into that layout on
 * every call (and dw back to OIHW after backward weights) by a cached reorder primitive. We do
 * not cache the reordered weights: kernels see a segment, not a tensor version, and an optimizer
 * updates weights in place at the same address, so a cache keyed by address would return stale
 * weights, and one keyed by a checksum must read every weight anyway, which is what the reorder
 * costs (O·I·kh·kw floats, against O·I·kh·kw·N·OH·OW multiply-adds for the convolution).
 */
final class OneDnnConvolution implements ConvolutionKernels {

    private enum Pass { FORWARD, BACKWARD_DATA, BACKWARD_WEIGHTS }

    private record Key(Conv2dShape shape, int groups, Pass pass, boolean bias) {
    }

    /** A convolution primitive plus the reorder between plain OIHW weights and its weight layout (null: same layout). */
    private record Convolution(Primitive primitive, MemorySegment weightsMd, Primitive weightsReorder,
                               MemorySegment plainWeightsMd) {
    }

    private final PrimitiveCache<Key, Convolution> cache = new PrimitiveCache<>(64);
    @Override
    public void conv2d(Conv2dShape shape, int groups, MemorySegment x, MemorySegment w, MemorySegment bias,
                       MemorySegment y) {
        Convolution conv = cache.get(new Key(shape, groups, Pass.FORWARD, bias != null), this::create);
        try (Execution run = new Execution()) {
            MemorySegment weights = weightsIn(run, conv, w, shape.weightSize(groups));
            run.bind(dnnl_h.DNNL_ARG_SRC_0(), conv.primitive.md(dnnl_h.dnnl_query_src_md()),
                            run.input(Slot.SOURCE, x, shape.inputSize()))
                    .bind(dnnl_h.DNNL_ARG_WEIGHTS_0(), conv.weightsMd, weights)
                    .bind(dnnl_h.DNNL_ARG_DST_0(), conv.primitive.md(dnnl_h.dnnl_query_dst_md()),
                            run.output(Slot.DESTINATION, y, shape.outputSize()));
            if (bias != null) {
                run.bind(dnnl_h.DNNL_ARG_BIAS(), conv.primitive.md(dnnl_h.dnnl_query_weights_md(), 1),
                        run.input(Slot.EXTRA_1, bias, shape.outChannels()));
            }
            run.run(conv.primitive, "convolution forward");
        }
    }

    @Override
    public void conv2dBackwardData(Conv2dShape shape, int groups, MemorySegment dy, MemorySegment w, MemorySegment dx) {
        Convolution conv = cache.get(new Key(shape, groups, Pass.BACKWARD_DATA, false), this::create);
        try (Execution run = new Execution()) {
            MemorySegment weights = weightsIn(run, conv, w, shape.weightSize(groups));
            run.bind(dnnl_h.DNNL_ARG_DIFF_DST_0(), conv.primitive.md(dnnl_h.dnnl_query_diff_dst_md()),
                            run.input(Slot.SOURCE, dy, shape.outputSize()))
                    .bind(dnnl_h.DNNL_ARG_WEIGHTS_0(), conv.weightsMd, weights)
                    .bind(dnnl_h.DNNL_ARG_DIFF_SRC_0(), conv.primitive.md(dnnl_h.dnnl_query_diff_src_md()),
                            run.output(Slot.DESTINATION, dx, shape.inputSize()))
                    .run(conv.primitive, "convolution backward data");
        }
    }

    @Override
    public void conv2dBackwardWeights(Conv2dShape shape, int groups, MemorySegment x, MemorySegment dy,
                                      MemorySegment dw, MemorySegment dBias) {
        Convolution conv = cache.get(new Key(shape, groups, Pass.BACKWARD_WEIGHTS, dBias != null), this::create);
        long weightSize = shape.weightSize(groups);
        try (Execution run = new Execution()) {
            MemorySegment blockedDw = conv.weightsReorder == null ? run.output(Slot.WEIGHTS, dw, weightSize)
                    : run.scratch(Slot.REORDERED, dnnl_h.dnnl_memory_desc_get_size(conv.weightsMd));
            run.bind(dnnl_h.DNNL_ARG_SRC_0(), conv.primitive.md(dnnl_h.dnnl_query_src_md()),
                            run.input(Slot.SOURCE, x, shape.inputSize()))
                    .bind(dnnl_h.DNNL_ARG_DIFF_DST_0(), conv.primitive.md(dnnl_h.dnnl_query_diff_dst_md()),
                            run.input(Slot.EXTRA_2, dy, shape.outputSize()))
                    .bind(dnnl_h.DNNL_ARG_DIFF_WEIGHTS_0(), conv.weightsMd, blockedDw);
            if (dBias != null) {
                run.bind(dnnl_h.DNNL_ARG_DIFF_BIAS(), conv.primitive.md(dnnl_h.dnnl_query_diff_weights_md(), 1),
                        run.output(Slot.EXTRA_1, dBias, shape.outChannels()));
            }
            run.run(conv.primitive, "convolution backward weights");
            if (conv.weightsReorder != null) {
                try (Execution reorder = new Execution()) {
                    reorder.bind(dnnl_h.DNNL_ARG_SRC_0(), conv.weightsMd, blockedDw)
                            .bind(dnnl_h.DNNL_ARG_DST_0(), conv.plainWeightsMd,
                                    reorder.output(Slot.WEIGHTS, dw, weightSize))
                            .run(conv.weightsReorder, "reorder of dw to OIHW");
                }
            }
        }
    }

    /** The implementations oneDNN chose for this shape's forward pass and its weight reorder, for reports. */
    String describe(Conv2dShape shape, int groups) {
        Convolution conv = cache.get(new Key(shape, groups, Pass.FORWARD, false), this::create);
        return conv.primitive.implementation() + (conv.weightsReorder == null ? ", plain OIHW weights"
                : ", weights reordered by " + conv.weightsReorder.implementation());
    }

    /** The weights in the primitive's layout: w itself when that is OIHW, else w reordered into scratch. */
    private static MemorySegment weightsIn(Execution run, Convolution conv, MemorySegment w, long weightSize) {
        MemorySegment plain = run.input(Slot.WEIGHTS, w, weightSize);
        if (conv.weightsReorder == null) {
            return plain;
        }
        MemorySegment blocked = run.scratch(Slot.REORDERED, dnnl_h.dnnl_memory_desc_get_size(conv.weightsMd));
        try (Execution reorder = new Execution()) {
            reorder.bind(dnnl_h.DNNL_ARG_SRC_0(), conv.plainWeightsMd, plain)
                    .bind(dnnl_h.DNNL_ARG_DST_0(), conv.weightsMd, blocked)
                    .run(conv.weightsReorder, "reorder of w from OIHW");
        }
        return blocked;
    }

    private Convolution create(Key key) {
        Conv2dShape s = key.shape;
        try (Descriptors d = new Descriptors()) {
            MemorySegment src = d.plain(dnnl_h.dnnl_abcd(), s.batch(), s.inChannels(), s.inHeight(), s.inWidth());
            MemorySegment dst = d.plain(dnnl_h.dnnl_abcd(), s.batch(), s.outChannels(), s.outHeight(), s.outWidth());
            // Backward passes take the same memory descriptors as forward (diff_src like src, ...).
            MemorySegment anyWeights = d.any(weightDims(s, key.groups));
            MemorySegment bias = key.bias ? d.plain(dnnl_h.dnnl_a(), s.outChannels()) : MemorySegment.NULL;
            MemorySegment strides = d.dims(s.strideH(), s.strideW());
            MemorySegment dilates = d.dims(s.dilationH() - 1L, s.dilationW() - 1L);
            MemorySegment padding = d.dims(s.padH(), s.padW());
            MemorySegment slot = d.handleSlot();
            Primitive primitive = switch (key.pass) {
                case FORWARD -> forward(d, s, key.groups, key.bias);
                case BACKWARD_DATA -> Primitive.created(slot,
                        dnnl_h.dnnl_convolution_backward_data_primitive_desc_create(slot, OneDnn.engine(),
                                dnnl_h.dnnl_convolution_direct(), src, anyWeights, dst, strides, dilates, padding, padding,
                                hint(s, key.groups).descriptor, OneDnn.DEFAULT_ATTRIBUTES),
                        "dnnl_convolution_backward_data_primitive_desc_create");
                case BACKWARD_WEIGHTS -> Primitive.created(slot,
                        dnnl_h.dnnl_convolution_backward_weights_primitive_desc_create(slot, OneDnn.engine(),
                                dnnl_h.dnnl_convolution_direct(), src, anyWeights, bias, dst, strides, dilates, padding,
                                padding, hint(s, key.groups).descriptor, OneDnn.DEFAULT_ATTRIBUTES),
                        "dnnl_convolution_backward_weights_primitive_desc_create");
            };
            MemorySegment weightsMd = primitive.md(key.pass == Pass.BACKWARD_WEIGHTS
                    ? dnnl_h.dnnl_query_diff_weights_md() : dnnl_h.dnnl_query_weights_md());
            // Destroyed with d: the reorder keeps its own copy, queried below.
            MemorySegment plainWeights = d.plain(key.groups == 1 ? dnnl_h.dnnl_abcd() : dnnl_h.dnnl_abcde(),
                    weightDims(s, key.groups));
            if (Primitive.sameLayout(plainWeights, weightsMd)) {
                return new Convolution(primitive, weightsMd, null, null);
            }
            boolean toPlain = key.pass == Pass.BACKWARD_WEIGHTS;
            MemorySegment reorderSlot = d.handleSlot();
            Primitive reorder = Primitive.created(reorderSlot, dnnl_h.dnnl_reorder_primitive_desc_create(reorderSlot,
                    toPlain ? weightsMd : plainWeights, OneDnn.engine(), toPlain ? plainWeights : weightsMd,
                    OneDnn.engine(), OneDnn.DEFAULT_ATTRIBUTES), "dnnl_reorder_primitive_desc_create");
            MemorySegment reorderPlainMd = reorder.md(toPlain ? dnnl_h.dnnl_query_dst_md() : dnnl_h.dnnl_query_src_md());
            return new Convolution(primitive, weightsMd, reorder, reorderPlainMd);
        }
    }

    /** The forward primitive without bias, whose descriptor is the hint both backward passes are created from. */
    private Primitive hint(Conv2dShape shape, int groups) {
        return cache.get(new Key(shape, groups, Pass.FORWARD, false), this::create).primitive;
    }

    private static Primitive forward(Descriptors d, Conv2dShape s, int groups, boolean withBias) {
        MemorySegment slot = d.handleSlot();
        return Primitive.created(slot, dnnl_h.dnnl_convolution_forward_primitive_desc_create(slot, OneDnn.engine(),
                        dnnl_h.dnnl_forward_training(), dnnl_h.dnnl_convolution_direct(),
                        d.plain(dnnl_h.dnnl_abcd(), s.batch(), s.inChannels(), s.inHeight(), s.inWidth()),
                        d.any(weightDims(s, groups)),
                        withBias ? d.plain(dnnl_h.dnnl_a(), s.outChannels()) : MemorySegment.NULL,
                        d.plain(dnnl_h.dnnl_abcd(), s.batch(), s.outChannels(), s.outHeight(), s.outWidth()),
                        d.dims(s.strideH(), s.strideW()), d.dims(s.dilationH() - 1L, s.dilationW() - 1L),
                        d.dims(s.padH(), s.padW()), d.dims(s.padH(), s.padW()), OneDnn.DEFAULT_ATTRIBUTES),
                "dnnl_convolution_forward_primitive_desc_create");
    }

    /**
     * OIHW, or with groups oneDNN's GOIHW: [groups, K/groups, C/groups, kH, kW], which in plain
     * layout is the same memory as [K, C/groups, kH, kW].
     */
    private static long[] weightDims(Conv2dShape s, int groups) {
        if (groups == 1) {
            return new long[] {s.outChannels(), s.inChannels(), s.kernelHeight(), s.kernelWidth()};
        }
        return new long[] {groups, s.outChannels() / groups, s.inChannels() / groups, s.kernelHeight(),
                s.kernelWidth()};
    }
}
