package org.isthmus.ffi.onednn;

import org.isthmus.ffi.onednn.OneDnn.Descriptors;
import org.isthmus.ffi.onednn.OneDnn.Execution;
import org.isthmus.ffi.onednn.OneDnn.Slot;
import org.isthmus.ffi.onednn.bindings.dnnl_h;
import org.isthmus.kernels.NormalizationKernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Layer normalization, forward and backward, as oneDNN primitives cached by shape; batch
 * normalization runs on the fallback kernels.
 *
 * <p>oneDNN speaks of the variance where Isthmus keeps rstd = 1/√(var + eps): the forward pass
 * turns oneDNN's variance into rstd (rows values), and the backward pass, which is not given eps,
 * hands oneDNN variance = 1/rstd² with eps = 0, from which it recomputes the same rstd.
 */
final class OneDnnNormalization implements NormalizationKernels {

    private record Key(int rows, int cols, boolean scale, boolean shift, float eps, int propagation) {
    }

    /** The primitive and the plain 1-D descriptors of its per-row statistics and per-column parameters. */
    private record Norm(Primitive primitive, MemorySegment statisticsMd, MemorySegment parameterMd) {
    }

    private final NormalizationKernels fallback;
    private final PrimitiveCache<Key, Norm> cache = new PrimitiveCache<>(64);

    OneDnnNormalization(NormalizationKernels fallback) {
        this.fallback = fallback;
    }

    @Override
    public void layerNorm(MemorySegment x, MemorySegment gamma, MemorySegment beta, MemorySegment y,
                          MemorySegment mean, MemorySegment rstd, int rows, int cols, float eps) {
        Norm cached = cache.get(new Key(rows, cols, gamma != null, beta != null, eps,
                dnnl_h.dnnl_forward_training()), this::create);
        Primitive norm = cached.primitive;
        long size = (long) rows * cols;
        try (Execution run = new Execution()) {
            MemorySegment statistics = cached.statisticsMd;
            MemorySegment meanOut = mean != null ? run.output(Slot.EXTRA_1, mean, rows)
                    : run.scratch(Slot.EXTRA_1, (long) rows * Float.BYTES);
            MemorySegment variance = run.scratch(Slot.EXTRA_2, (long) rows * Float.BYTES);
            run.bind(dnnl_h.DNNL_ARG_SRC_0(), norm.md(dnnl_h.dnnl_query_src_md()), run.input(Slot.SOURCE, x, size))
                    .bind(dnnl_h.DNNL_ARG_DST_0(), norm.md(dnnl_h.dnnl_query_dst_md()),
                            run.output(Slot.DESTINATION, y, size))
                    .bind(dnnl_h.DNNL_ARG_MEAN(), statistics, meanOut)
                    .bind(dnnl_h.DNNL_ARG_VARIANCE(), statistics, variance);
            if (gamma != null) {
                run.bind(dnnl_h.DNNL_ARG_SCALE(), cached.parameterMd, run.input(Slot.WEIGHTS, gamma, cols));
            }
            if (beta != null) {
                run.bind(dnnl_h.DNNL_ARG_SHIFT(), cached.parameterMd, run.input(Slot.EXTRA_3, beta, cols));
            }
            run.run(norm, "layer normalization forward");
            if (rstd != null) {
                for (int r = 0; r < rows; r++) {
                    float v = variance.getAtIndex(ValueLayout.JAVA_FLOAT, r);
                    rstd.setAtIndex(ValueLayout.JAVA_FLOAT, r, (float) (1.0 / Math.sqrt((double) v + eps)));
                }
            }
        }
    }

    @Override
    public void layerNormBackward(MemorySegment x, MemorySegment gamma, MemorySegment mean, MemorySegment rstd,
                                  MemorySegment dy, MemorySegment dx, MemorySegment dGamma, MemorySegment dBeta,
                                  int rows, int cols) {
        // A scale is needed whenever gamma is used or its gradient is asked for (then of ones: no affine).
        boolean scale = gamma != null || dGamma != null;
        boolean shift = dBeta != null;
        int propagation = scale && dGamma != null || shift ? dnnl_h.dnnl_backward() : dnnl_h.dnnl_backward_data();
        Norm cached = cache.get(new Key(rows, cols, scale, shift, 0f, propagation), this::create);
        Primitive norm = cached.primitive;
        long size = (long) rows * cols;
        try (Execution run = new Execution()) {
            MemorySegment statistics = cached.statisticsMd;
            MemorySegment variance = run.scratch(Slot.EXTRA_2, (long) rows * Float.BYTES);
            for (int r = 0; r < rows; r++) {
                double s = rstd.getAtIndex(ValueLayout.JAVA_FLOAT, r);
                variance.setAtIndex(ValueLayout.JAVA_FLOAT, r, (float) (1.0 / (s * s)));
            }
            run.bind(dnnl_h.DNNL_ARG_SRC_0(), norm.md(dnnl_h.dnnl_query_src_md()), run.input(Slot.SOURCE, x, size))
                    .bind(dnnl_h.DNNL_ARG_DIFF_DST_0(), norm.md(dnnl_h.dnnl_query_diff_dst_md()),
                            run.input(Slot.EXTRA_3, dy, size))
                    .bind(dnnl_h.DNNL_ARG_DIFF_SRC_0(), norm.md(dnnl_h.dnnl_query_diff_src_md()),
                            run.output(Slot.DESTINATION, dx, size))
                    .bind(dnnl_h.DNNL_ARG_MEAN(), statistics, run.input(Slot.EXTRA_1, mean, rows))
                    .bind(dnnl_h.DNNL_ARG_VARIANCE(), statistics, variance);
            if (scale) {
                MemorySegment scaleIn = gamma != null ? run.input(Slot.WEIGHTS, gamma, cols) : ones(run, cols);
                run.bind(dnnl_h.DNNL_ARG_SCALE(), cached.parameterMd, scaleIn);
                if (propagation == dnnl_h.dnnl_backward()) {
                    run.bind(dnnl_h.DNNL_ARG_DIFF_SCALE(), cached.parameterMd, dGamma != null
                            ? run.output(Slot.REORDERED, dGamma, cols) : run.scratch(Slot.REORDERED, (long) cols * Float.BYTES));
                }
            }
            if (shift) {
                run.bind(dnnl_h.DNNL_ARG_DIFF_SHIFT(), cached.parameterMd, run.output(Slot.EXTRA_4, dBeta, cols));
            }
            run.run(norm, "layer normalization backward");
        }
    }

    @Override
    public void batchNormTraining(MemorySegment x, MemorySegment gamma, MemorySegment beta, MemorySegment y,
                                  MemorySegment mean, MemorySegment rstd, MemorySegment runningMean,
                                  MemorySegment runningVar, int batch, int channels, int spatial,
                                  float momentum, float eps) {
        fallback.batchNormTraining(x, gamma, beta, y, mean, rstd, runningMean, runningVar, batch, channels, spatial,
                momentum, eps);
    }

    @Override
    public void batchNormInference(MemorySegment x, MemorySegment gamma, MemorySegment beta,
                                   MemorySegment runningMean, MemorySegment runningVar, MemorySegment y,
                                   int batch, int channels, int spatial, float eps) {
        fallback.batchNormInference(x, gamma, beta, runningMean, runningVar, y, batch, channels, spatial, eps);
    }

    @Override
    public void batchNormBackward(MemorySegment x, MemorySegment gamma, MemorySegment mean, MemorySegment rstd,
                                  MemorySegment dy, MemorySegment dx, MemorySegment dGamma, MemorySegment dBeta,
                                  int batch, int channels, int spatial) {
        fallback.batchNormBackward(x, gamma, mean, rstd, dy, dx, dGamma, dBeta, batch, channels, spatial);
    }

    private static MemorySegment ones(Execution run, int cols) {
        MemorySegment ones = run.scratch(Slot.WEIGHTS, (long) cols * Float.BYTES);
        for (int c = 0; c < cols; c++) {
            ones.setAtIndex(ValueLayout.JAVA_FLOAT, c, 1f);
        }
        return ones;
    }

    private Norm create(Key key) {
        Primitive primitive = createPrimitive(key);
        return new Norm(primitive, primitive.ownPlain(dnnl_h.dnnl_a(), key.rows),
                primitive.ownPlain(dnnl_h.dnnl_a(), key.cols));
    }

    private Primitive createPrimitive(Key key) {
        int flags = (key.scale ? dnnl_h.dnnl_use_scale() : 0) | (key.shift ? dnnl_h.dnnl_use_shift() : 0);
        try (Descriptors d = new Descriptors()) {
            MemorySegment matrix = d.plain(dnnl_h.dnnl_ab(), key.rows, key.cols);
            MemorySegment statistics = d.plain(dnnl_h.dnnl_a(), key.rows);
            MemorySegment slot = d.handleSlot();
            if (key.propagation == dnnl_h.dnnl_forward_training()) {
                return Primitive.created(slot, dnnl_h.dnnl_layer_normalization_forward_primitive_desc_create(slot,
                        OneDnn.engine(), key.propagation, matrix, matrix, statistics, key.eps, flags,
                        OneDnn.DEFAULT_ATTRIBUTES), "dnnl_layer_normalization_forward_primitive_desc_create");
            }
            Primitive hint = cache.get(new Key(key.rows, key.cols, key.scale, key.shift, key.eps,
                    dnnl_h.dnnl_forward_training()), this::create).primitive;
            return Primitive.created(slot, dnnl_h.dnnl_layer_normalization_backward_primitive_desc_create(slot,
                    OneDnn.engine(), key.propagation, matrix, matrix, matrix, statistics, key.eps, flags,
                    hint.descriptor, OneDnn.DEFAULT_ATTRIBUTES), "dnnl_layer_normalization_backward_primitive_desc_create");
        }
    }
}
