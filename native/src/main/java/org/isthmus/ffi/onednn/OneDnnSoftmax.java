package org.isthmus.ffi.onednn;

import org.isthmus.ffi.onednn.OneDnn.Descriptors;
import org.isthmus.ffi.onednn.OneDnn.Execution;
import org.isthmus.ffi.onednn.OneDnn.Slot;
import org.isthmus.ffi.onednn.bindings.dnnl_h;
import org.isthmus.kernels.SoftmaxKernels;

import java.lang.foreign.MemorySegment;

/**
 * softmax and logSoftmax, forward and backward, as oneDNN primitives over the last dimension of a
 * rows×cols matrix, cached by shape; the rest of the family (logSumExp, the fused cross-entropy),
 * which oneDNN has no primitive for, runs on the fallback kernels.
 */
final class OneDnnSoftmax implements SoftmaxKernels {

    private record Key(int rows, int cols, boolean log, boolean backward) {
    }

    private final SoftmaxKernels fallback;
    private final PrimitiveCache<Key, Primitive> cache = new PrimitiveCache<>(64);

    OneDnnSoftmax(SoftmaxKernels fallback) {
        this.fallback = fallback;
    }

    @Override
    public void softmax(MemorySegment x, MemorySegment y, int rows, int cols) {
        forward(x, y, rows, cols, false);
    }

    @Override
    public void logSoftmax(MemorySegment x, MemorySegment y, int rows, int cols) {
        forward(x, y, rows, cols, true);
    }

    @Override
    public void softmaxBackward(MemorySegment y, MemorySegment dy, MemorySegment dx, int rows, int cols) {
        backward(y, dy, dx, rows, cols, false);
    }

    @Override
    public void logSoftmaxBackward(MemorySegment y, MemorySegment dy, MemorySegment dx, int rows, int cols) {
        backward(y, dy, dx, rows, cols, true);
    }

    @Override
    public void logSumExp(MemorySegment x, MemorySegment y, int rows, int cols) {
        fallback.logSumExp(x, y, rows, cols);
    }

    @Override
    public void logSumExpBackward(MemorySegment x, MemorySegment lse, MemorySegment dLse, MemorySegment dx,
                                  int rows, int cols) {
        fallback.logSumExpBackward(x, lse, dLse, dx, rows, cols);
    }

    @Override
    public void softmaxCrossEntropy(MemorySegment logits, MemorySegment targets, float labelSmoothing,
                                    MemorySegment losses, MemorySegment dLogits, int rows, int cols) {
        fallback.softmaxCrossEntropy(logits, targets, labelSmoothing, losses, dLogits, rows, cols);
    }

    private void forward(MemorySegment x, MemorySegment y, int rows, int cols, boolean log) {
        Primitive softmax = cache.get(new Key(rows, cols, log, false), this::create);
        long size = (long) rows * cols;
        try (Execution run = new Execution()) {
            run.bind(dnnl_h.DNNL_ARG_SRC_0(), softmax.md(dnnl_h.dnnl_query_src_md()), run.input(Slot.SOURCE, x, size))
                    .bind(dnnl_h.DNNL_ARG_DST_0(), softmax.md(dnnl_h.dnnl_query_dst_md()),
                            run.output(Slot.DESTINATION, y, size))
                    .run(softmax, log ? "logsoftmax forward" : "softmax forward");
        }
    }

    private void backward(MemorySegment y, MemorySegment dy, MemorySegment dx, int rows, int cols, boolean log) {
        Primitive softmax = cache.get(new Key(rows, cols, log, true), this::create);
        long size = (long) rows * cols;
        try (Execution run = new Execution()) {
            run.bind(dnnl_h.DNNL_ARG_DST_0(), softmax.md(dnnl_h.dnnl_query_dst_md()), run.input(Slot.SOURCE, y, size))
                    .bind(dnnl_h.DNNL_ARG_DIFF_DST_0(), softmax.md(dnnl_h.dnnl_query_diff_dst_md()),
                            run.input(Slot.EXTRA_1, dy, size))
                    .bind(dnnl_h.DNNL_ARG_DIFF_SRC_0(), softmax.md(dnnl_h.dnnl_query_diff_src_md()),
                            run.output(Slot.DESTINATION, dx, size))
                    .run(softmax, log ? "logsoftmax backward" : "softmax backward");
        }
    }

    private Primitive create(Key key) {
        int algorithm = key.log ? dnnl_h.dnnl_softmax_log() : dnnl_h.dnnl_softmax_accurate();
        try (Descriptors d = new Descriptors()) {
            MemorySegment matrix = d.plain(dnnl_h.dnnl_ab(), key.rows, key.cols);
            MemorySegment slot = d.handleSlot();
            if (!key.backward) {
                return Primitive.created(slot, dnnl_h.dnnl_softmax_forward_primitive_desc_create(slot, OneDnn.engine(),
                        dnnl_h.dnnl_forward_training(), algorithm, matrix, matrix, 1, OneDnn.DEFAULT_ATTRIBUTES),
                        "dnnl_softmax_forward_primitive_desc_create");
            }
            Primitive hint = cache.get(new Key(key.rows, key.cols, key.log, false), this::create);
            return Primitive.created(slot, dnnl_h.dnnl_softmax_backward_primitive_desc_create(slot, OneDnn.engine(),
                    algorithm, matrix, matrix, matrix, 1, hint.descriptor, OneDnn.DEFAULT_ATTRIBUTES),
                    "dnnl_softmax_backward_primitive_desc_create");
        }
    }
}
