package org.isthmus.kernels.vector;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.isthmus.kernels.AdamCoefficients;
import org.isthmus.kernels.BinaryOp;
import org.isthmus.kernels.Broadcast;
import org.isthmus.kernels.DropoutMask;
import org.isthmus.kernels.ElementwiseKernels;
import org.isthmus.kernels.Parallelism;
import org.isthmus.kernels.UnaryOp;
import org.isthmus.kernels.vector.Staging.Window;

/**
 * Elementwise kernels: SIMD loops over float[] ranges ({@link Staging} stages native operands),
 * split over the library pool above {@link Staging#MIN_PARALLEL_WORK} elements. These stream
 * memory, so the aim is bandwidth: one pass, no temporary arrays. Transcendentals use the Vector
 * API's EXP, LOG and TANH, which C2 compiles to calls of its vector math stubs (libjsvml); TANH
 * is the slow one on AVX2 (4 ns a float against EXP's 0.45), so gelu is written with EXP.
 */
final class VectorElementwise implements ElementwiseKernels {

    private static final VectorSpecies<Float> S = Species.FLOAT;
    private static final VectorSpecies<Integer> I = S.withLanes(int.class);
    private static final int V = S.length();
    private static final float GELU_SCALE = (float) Math.sqrt(2 / Math.PI);
    private static final float GELU_CUBIC = 0.044715f;
    private static final int[] LANE_INDEX = laneIndex();

    @Override
    public void binary(BinaryOp op, MemorySegment a, MemorySegment b, Broadcast bShape, MemorySegment y,
                       int rows, int cols) {
        Operand as = Operand.of(a);
        Operand bs = Operand.of(b);
        Operand ys = Operand.of(y);
        int chunk = Staging.chunk(as, bs, ys);
        long n = (long) rows * cols;
        int parts = Staging.parts(n, a, b, y);
        int rowParts = Math.min(parts, rows);
        switch (bShape) {
            // b as long as a, or a single value: one flat range.
            case FULL, SCALAR -> Parallelism.run(parts, part -> {
                Staging staging = Staging.current();
                float bScalar = bShape == Broadcast.SCALAR ? staging.window(1).read(bs, 0, 1).value() : 0f;
                long end = Staging.partStart(part + 1, parts, n);
                for (long start = Staging.partStart(part, parts, n); start < end; start += chunk) {
                    int length = (int) Math.min(chunk, end - start);
                    Window left = staging.window(0).read(as, start, length);
                    Window out = staging.window(2).write(ys, start, length);
                    if (bShape == Broadcast.FULL) {
                        Window right = staging.window(1).read(bs, start, length);
                        apply(op, left.array, left.offset, right.array, right.offset, out.array, out.offset, length);
                    } else {
                        apply(op, left.array, left.offset, bScalar, out.array, out.offset, length);
                    }
                    out.flush();
                }
            });
            // Row by row: b's row (ROW) or b's value for the row (COLUMN).
            case ROW, COLUMN -> Parallelism.run(rowParts, part -> {
                Staging staging = Staging.current();
                int lastRow = (int) Staging.partStart(part + 1, rowParts, rows);
                for (int r = (int) Staging.partStart(part, rowParts, rows); r < lastRow; r++) {
                    float bScalar = bShape == Broadcast.COLUMN ? staging.window(1).read(bs, r, 1).value() : 0f;
                    for (int c = 0; c < cols; c += chunk) {
                        int length = Math.min(chunk, cols - c);
                        long start = (long) r * cols + c;
                        Window left = staging.window(0).read(as, start, length);
                        Window out = staging.window(2).write(ys, start, length);
                        if (bShape == Broadcast.ROW) {
                            Window right = staging.window(1).read(bs, c, length);
                            apply(op, left.array, left.offset, right.array, right.offset, out.array, out.offset, length);
                        } else {
                            apply(op, left.array, left.offset, bScalar, out.array, out.offset, length);
                        }
                        out.flush();
                    }
                }
            });
        }
    }

    /**
     * dA = dy (ADD, SUB), dy·b (MUL), dy/b (DIV): {@link #binary} on dy. dB sums dy (ADD, SUB)
     * or dy·a (MUL, DIV) over the broadcast, then finishes with the sign and, for DIV, −1/b².
     * With FULL b one fused pass writes both; otherwise dB is written first, then dA.
     */
    @Override
    public void binaryBackward(BinaryOp op, MemorySegment a, MemorySegment b, Broadcast bShape, MemorySegment dy,
                               MemorySegment dA, MemorySegment dB, int rows, int cols) {
        if (bShape == Broadcast.FULL && dB != null) {
            fullBackward(op, a, b, dy, dA, dB, (long) rows * cols);
            return;
        }
        if (dB != null) {
            reducedGradientB(op, a, b, bShape, dy, dB, rows, cols);
        }
        if (dA != null) {
            switch (op) {
                case ADD, SUB -> MemorySegment.copy(dy, 0, dA, 0, (long) rows * cols * Float.BYTES);
                case MUL, DIV -> binary(op, dy, b, bShape, dA, rows, cols);
            }
        }
    }

    @Override
    public void unary(UnaryOp f, MemorySegment x, MemorySegment y, int n) {
        Operand xs = Operand.of(x);
        Operand ys = Operand.of(y);
        int chunk = Staging.chunk(xs, ys);
        int parts = Staging.parts(n, x, y);
        Parallelism.run(parts, part -> {
            Staging staging = Staging.current();
            long end = Staging.partStart(part + 1, parts, n);
            for (long start = Staging.partStart(part, parts, n); start < end; start += chunk) {
                int length = (int) Math.min(chunk, end - start);
                Window in = staging.window(0).read(xs, start, length);
                Window out = staging.window(1).write(ys, start, length);
                apply(f, in.array, in.offset, out.array, out.offset, length);
                out.flush();
            }
        });
    }

    @Override
    public void unaryBackward(UnaryOp f, MemorySegment x, MemorySegment y, MemorySegment dy, MemorySegment dx,
                              int n) {
        // Each derivative needs x or y, not both: only that one is read.
        Operand source = Operand.of(readsOutput(f) ? y : x);
        Operand dys = Operand.of(dy);
        Operand dxs = Operand.of(dx);
        int chunk = Staging.chunk(source, dys, dxs);
        int parts = Staging.parts(n, x, y, dy, dx);
        Parallelism.run(parts, part -> {
            Staging staging = Staging.current();
            long end = Staging.partStart(part + 1, parts, n);
            for (long start = Staging.partStart(part, parts, n); start < end; start += chunk) {
                int length = (int) Math.min(chunk, end - start);
                Window in = staging.window(0).read(source, start, length);
                Window grad = staging.window(1).read(dys, start, length);
                Window out = staging.window(2).write(dxs, start, length);
                gradient(f, in.array, in.offset, grad.array, grad.offset, out.array, out.offset, length);
                out.flush();
            }
        });
    }

    @Override
    public void axpy(int n, float alpha, MemorySegment x, MemorySegment y) {
        Operand xs = Operand.of(x);
        Operand ys = Operand.of(y);
        int chunk = Staging.chunk(xs, ys);
        int parts = Staging.parts(n, x, y);
        Parallelism.run(parts, part -> {
            Staging staging = Staging.current();
            long end = Staging.partStart(part + 1, parts, n);
            for (long start = Staging.partStart(part, parts, n); start < end; start += chunk) {
                int length = (int) Math.min(chunk, end - start);
                Window in = staging.window(0).read(xs, start, length);
                Window out = staging.window(1).update(ys, start, length);
                ArrayMath.axpy(alpha, in.array, in.offset, out.array, out.offset, length);
                out.flush();
            }
        });
    }

    @Override
    public void adamUpdate(int n, AdamCoefficients c, MemorySegment p, MemorySegment g, MemorySegment m, MemorySegment v) {
        Operand ps = Operand.of(p);
        Operand gs = Operand.of(g);
        Operand ms = Operand.of(m);
        Operand vs = Operand.of(v);
        int chunk = Staging.chunk(ps, gs, ms, vs);
        int parts = Staging.parts(n, p, g, m, v);
        Parallelism.run(parts, part -> {
            Staging staging = Staging.current();
            long end = Staging.partStart(part + 1, parts, n);
            for (long start = Staging.partStart(part, parts, n); start < end; start += chunk) {
                int length = (int) Math.min(chunk, end - start);
                Window gradient = staging.window(0).read(gs, start, length);
                Window values = staging.window(1).update(ps, start, length);
                Window first = staging.window(2).update(ms, start, length);
                Window second = staging.window(3).update(vs, start, length);
                adam(c, values.array, values.offset, gradient.array, gradient.offset, first.array, first.offset,
                        second.array, second.offset, length);
                second.flush();
                first.flush();
                values.flush();
            }
        });
    }

    /**
     * The Adam step on float[] ranges. Every operation rounds as the scalar formula does (no fused
     * multiply-add): a vector of 8 parameters costs one square root and one division instead of 8 of each.
     */
    private static void adam(AdamCoefficients c, float[] p, int po, float[] g, int go, float[] m, int mo, float[] v,
                             int vo, int length) {
        float beta1 = c.beta1();
        float beta2 = c.beta2();
        float stepSize = c.stepSize();
        float rootCorrection2 = c.rootCorrection2();
        float eps = c.eps();
        float decay = c.decay();
        float l2 = c.l2();
        int i = 0;
        for (int bound = S.loopBound(length); i < bound; i += V) {
            FloatVector value = FloatVector.fromArray(S, p, po + i).mul(decay);
            FloatVector d = FloatVector.fromArray(S, g, go + i).add(value.mul(l2));
            FloatVector mi = FloatVector.fromArray(S, m, mo + i).mul(beta1).add(d.mul(1 - beta1));
            FloatVector vi = FloatVector.fromArray(S, v, vo + i).mul(beta2).add(d.mul(d).mul(1 - beta2));
            mi.intoArray(m, mo + i);
            vi.intoArray(v, vo + i);
            value.sub(mi.mul(stepSize).div(vi.sqrt().div(rootCorrection2).add(eps))).intoArray(p, po + i);
        }
        for (; i < length; i++) {
            float value = p[po + i] * decay;
            float d = g[go + i] + l2 * value;
            float mi = beta1 * m[mo + i] + (1 - beta1) * d;
            float vi = beta2 * v[vo + i] + (1 - beta2) * d * d;
            m[mo + i] = mi;
            v[vo + i] = vi;
            p[po + i] = value - stepSize * mi / ((float) Math.sqrt(vi) / rootCorrection2 + eps);
        }
    }

    /** The mask of {@link DropoutMask}, its 32-bit hash computed eight (or four) lanes at a time. */
    @Override
    public void dropout(MemorySegment x, MemorySegment y, MemorySegment mask, int n, float p, long seed) {
        Operand xs = Operand.of(x);
        Operand ys = Operand.of(y);
        Operand masks = Operand.of(mask);
        int chunk = Staging.chunk(xs, ys, masks);
        int parts = Staging.parts(n, x, y, mask);
        int key = DropoutMask.key(seed);
        float threshold = DropoutMask.threshold(p); // at most 2^24: exact as a float
        float scale = DropoutMask.keptScale(p);
        Parallelism.run(parts, part -> {
            Staging staging = Staging.current();
            long end = Staging.partStart(part + 1, parts, n);
            for (long start = Staging.partStart(part, parts, n); start < end; start += chunk) {
                int length = (int) Math.min(chunk, end - start);
                Window in = staging.window(0).read(xs, start, length);
                Window out = staging.window(1).write(ys, start, length);
                Window kept = staging.window(2).write(masks, start, length);
                dropout(in.array, in.offset, out.array, out.offset, kept.array, kept.offset, length, (int) start, key,
                        threshold, scale);
                kept.flush();
                out.flush();
            }
        });
    }

    private static void dropout(float[] x, int xo, float[] y, int yo, float[] mask, int mo, int n, int firstIndex,
                                int key, float threshold, float scale) {
        IntVector index = IntVector.fromArray(I, LANE_INDEX, 0).add(firstIndex);
        FloatVector zero = FloatVector.zero(S);
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += V, index = index.add(V)) {
            FloatVector m = zero.blend(scale, hashBits(index, key).compare(VectorOperators.GE, threshold));
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            m.intoArray(mask, mo + i);
            v.mul(m).intoArray(y, yo + i);
        }
        for (; i < n; i++) {
            float m = DropoutMask.bits(key, firstIndex + i) >= threshold ? scale : 0f;
            float v = x[xo + i];
            mask[mo + i] = m;
            y[yo + i] = v * m;
        }
    }

    /** {@link DropoutMask#bits} lane by lane, as floats (exact: below 2^24). */
    private static FloatVector hashBits(IntVector index, int key) {
        IntVector h = index.mul(DropoutMask.INDEX_MULTIPLIER).add(key);
        h = h.lanewise(VectorOperators.XOR, h.lanewise(VectorOperators.LSHR, 16));
        h = h.mul(DropoutMask.MIX_MULTIPLIER_1);
        h = h.lanewise(VectorOperators.XOR, h.lanewise(VectorOperators.LSHR, 13));
        h = h.mul(DropoutMask.MIX_MULTIPLIER_2);
        h = h.lanewise(VectorOperators.XOR, h.lanewise(VectorOperators.LSHR, 16));
        return (FloatVector) h.lanewise(VectorOperators.LSHR, 32 - DropoutMask.BITS).convert(VectorOperators.I2F, 0);
    }

    /** dA and dB of a FULL-shaped b in one pass, each element read once. */
    private static void fullBackward(BinaryOp op, MemorySegment a, MemorySegment b, MemorySegment dy,
                                     MemorySegment dA, MemorySegment dB, long n) {
        Operand as = Operand.of(a);
        Operand bs = Operand.of(b);
        Operand dys = Operand.of(dy);
        Operand dAs = dA == null ? null : Operand.of(dA);
        Operand dBs = Operand.of(dB);
        int chunk = Staging.chunk(as, bs, dys, dAs, dBs);
        int parts = Staging.parts(n, a, b, dy, dA, dB);
        Parallelism.run(parts, part -> {
            Staging staging = Staging.current();
            long end = Staging.partStart(part + 1, parts, n);
            for (long start = Staging.partStart(part, parts, n); start < end; start += chunk) {
                int length = (int) Math.min(chunk, end - start);
                Window left = staging.window(0).read(as, start, length);
                Window right = staging.window(1).read(bs, start, length);
                Window grad = staging.window(2).read(dys, start, length);
                Window outB = staging.window(3).write(dBs, start, length);
                Window outA = dAs == null ? null : staging.window(4).write(dAs, start, length);
                fullBackward(op, left, right, grad, outA, outB, length);
                outB.flush();
                if (outA != null) {
                    outA.flush();
                }
            }
        });
    }

    private static void fullBackward(BinaryOp op, Window a, Window b, Window dy, Window dA, Window dB, int n) {
        float[] av = a.array, bv = b.array, gv = dy.array, outB = dB.array;
        int ao = a.offset, bo = b.offset, go = dy.offset, dbo = dB.offset;
        float[] outA = dA == null ? null : dA.array;
        int dao = dA == null ? 0 : dA.offset;
        // Every output element depends only on the same element of a, b, dy: computed before any store,
        // so dA or dB may be any of the inputs.
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += V) {
            FloatVector g = FloatVector.fromArray(S, gv, go + i);
            FloatVector right = FloatVector.fromArray(S, bv, bo + i);
            FloatVector left = FloatVector.fromArray(S, av, ao + i);
            FloatVector gradA = switch (op) {
                case ADD, SUB -> g;
                case MUL -> g.mul(right);
                case DIV -> g.div(right);
            };
            FloatVector gradB = switch (op) {
                case ADD -> g;
                case SUB -> g.neg();
                case MUL -> g.mul(left);
                case DIV -> g.mul(left).div(right.mul(right)).neg();
            };
            gradB.intoArray(outB, dbo + i);
            if (outA != null) {
                gradA.intoArray(outA, dao + i);
            }
        }
        for (; i < n; i++) {
            float g = gv[go + i];
            float right = bv[bo + i];
            float left = av[ao + i];
            float gradA = switch (op) {
                case ADD, SUB -> g;
                case MUL -> g * right;
                case DIV -> g / right;
            };
            outB[dbo + i] = switch (op) {
                case ADD -> g;
                case SUB -> -g;
                case MUL -> g * left;
                case DIV -> -(g * left / (right * right));
            };
            if (outA != null) {
                outA[dao + i] = gradA;
            }
        }
    }

    /** dB for ROW, COLUMN and SCALAR b: the sum over the broadcast of dy or dy·a, then the finish. */
    private static void reducedGradientB(BinaryOp op, MemorySegment a, MemorySegment b, Broadcast bShape,
                                         MemorySegment dy, MemorySegment dB, int rows, int cols) {
        boolean weighted = op == BinaryOp.MUL || op == BinaryOp.DIV;
        Operand as = Operand.of(a);
        Operand bs = Operand.of(b);
        Operand dys = Operand.of(dy);
        Operand dBs = Operand.of(dB);
        int chunk = Math.min(Staging.CHUNK, cols);
        switch (bShape) {
            // Column sums: parts take column chunks, each sweeping every row into a chunk-wide accumulator.
            case ROW -> {
                int chunks = Math.ceilDiv(cols, chunk);
                int parts = Math.min(chunks, Staging.parts((long) rows * cols, a, b, dy, dB));
                Parallelism.run(parts, part -> {
                    Staging staging = Staging.current();
                    int lastChunk = (int) Staging.partStart(part + 1, parts, chunks);
                    for (int k = (int) Staging.partStart(part, parts, chunks); k < lastChunk; k++) {
                        int c = k * chunk;
                        int length = Math.min(chunk, cols - c);
                        Window sum = staging.window(0).zeros(length);
                        for (int r = 0; r < rows; r++) {
                            long start = (long) r * cols + c;
                            Window grad = staging.window(1).read(dys, start, length);
                            if (weighted) {
                                Window left = staging.window(2).read(as, start, length);
                                ArrayMath.accumulateProduct(sum.array, 0, grad.array, grad.offset, left.array,
                                        left.offset, length);
                            } else {
                                ArrayMath.accumulate(sum.array, 0, grad.array, grad.offset, length);
                            }
                        }
                        Window right = staging.window(2).read(bs, c, length);
                        Window out = staging.window(3).write(dBs, c, length);
                        finishGradientB(op, sum.array, right.array, right.offset, out.array, out.offset, length);
                        out.flush();
                    }
                });
            }
            // Row sums: parts take rows.
            case COLUMN -> {
                int parts = Math.min(rows, Staging.parts((long) rows * cols, a, b, dy, dB));
                Parallelism.run(parts, part -> {
                    Staging staging = Staging.current();
                    int lastRow = (int) Staging.partStart(part + 1, parts, rows);
                    for (int r = (int) Staging.partStart(part, parts, rows); r < lastRow; r++) {
                        float sum = rangeSum(staging, weighted, as, dys, (long) r * cols, cols);
                        Window one = staging.window(2).write(dBs, r, 1);
                        one.array[one.offset] = finishGradientB(op, sum, staging.window(3).read(bs, r, 1).value());
                        one.flush();
                    }
                });
            }
            case SCALAR -> {
                long n = (long) rows * cols;
                int parts = Staging.parts(n, a, b, dy, dB);
                float[] partial = new float[parts];
                Parallelism.run(parts, part -> {
                    long start = Staging.partStart(part, parts, n);
                    partial[part] = rangeSum(Staging.current(), weighted, as, dys, start,
                            Staging.partStart(part + 1, parts, n) - start);
                });
                float sum = 0f;
                for (float s : partial) {
                    sum += s;
                }
                Staging staging = Staging.current();
                Window out = staging.window(2).write(dBs, 0, 1);
                out.array[out.offset] = finishGradientB(op, sum, staging.window(3).read(bs, 0, 1).value());
                out.flush();
            }
            case FULL -> throw new AssertionError("FULL b is reduced by fullBackward");
        }
    }

    /** Σ dy (or Σ dy·a when weighted) over elements [start, start + length). */
    private static float rangeSum(Staging staging, boolean weighted, Operand a, Operand dy, long start, long length) {
        int chunk = Staging.chunk(a, dy);
        float sum = 0f;
        for (long at = start; at < start + length; at += chunk) {
            int n = (int) Math.min(chunk, start + length - at);
            Window grad = staging.window(0).read(dy, at, n);
            if (weighted) {
                Window left = staging.window(1).read(a, at, n);
                sum += ArrayMath.dot(grad.array, grad.offset, left.array, left.offset, n);
            } else {
                sum += ArrayMath.sum(grad.array, grad.offset, n);
            }
        }
        return sum;
    }

    private static void finishGradientB(BinaryOp op, float[] sum, float[] b, int bo, float[] dB, int dBo, int n) {
        switch (op) {
            case ADD, MUL -> System.arraycopy(sum, 0, dB, dBo, n);
            case SUB -> ArrayMath.negate(sum, 0, dB, dBo, n);
            case DIV -> {
                for (int i = 0; i < n; i++) {
                    dB[dBo + i] = finishGradientB(op, sum[i], b[bo + i]);
                }
            }
        }
    }

    private static float finishGradientB(BinaryOp op, float sum, float b) {
        return switch (op) {
            case ADD, MUL -> sum;
            case SUB -> -sum;
            case DIV -> -(sum / (b * b));
        };
    }

    private static void apply(BinaryOp op, float[] a, int ao, float[] b, int bo, float[] y, int yo, int n) {
        switch (op) {
            case ADD -> ArrayMath.add(a, ao, b, bo, y, yo, n);
            case SUB -> ArrayMath.subtract(a, ao, b, bo, y, yo, n);
            case MUL -> ArrayMath.multiply(a, ao, b, bo, y, yo, n);
            case DIV -> ArrayMath.divide(a, ao, b, bo, y, yo, n);
        }
    }

    private static void apply(BinaryOp op, float[] a, int ao, float b, float[] y, int yo, int n) {
        switch (op) {
            case ADD -> ArrayMath.add(a, ao, b, y, yo, n);
            case SUB -> ArrayMath.subtract(a, ao, b, y, yo, n);
            case MUL -> ArrayMath.multiply(a, ao, b, y, yo, n);
            case DIV -> ArrayMath.divide(a, ao, b, y, yo, n);
        }
    }

    private static void apply(UnaryOp f, float[] x, int xo, float[] y, int yo, int n) {
        switch (f) {
            // max(x, 0) as Math.max: relu(NaN) = NaN, as in PyTorch.
            case UnaryOp.Relu _ -> ArrayMath.atLeast(x, xo, 0f, y, yo, n);
            case UnaryOp.LeakyRelu leaky -> leakyRelu(leaky.slope(), x, xo, y, yo, n);
            case UnaryOp.Gelu _ -> gelu(x, xo, y, yo, n);
            case UnaryOp.Sigmoid _ -> sigmoid(x, xo, y, yo, n);
            case UnaryOp.Tanh _ -> ArrayMath.tanh(x, xo, y, yo, n);
            case UnaryOp.Exp _ -> ArrayMath.exp(x, xo, y, yo, n);
            case UnaryOp.Log _ -> ArrayMath.log(x, xo, y, yo, n);
            case UnaryOp.Sqrt _ -> ArrayMath.sqrt(x, xo, y, yo, n);
            case UnaryOp.Abs _ -> ArrayMath.abs(x, xo, y, yo, n);
            case UnaryOp.Clamp clamp -> clamp(clamp.min(), clamp.max(), x, xo, y, yo, n);
            case UnaryOp.Scale scale -> ArrayMath.multiply(x, xo, scale.factor(), y, yo, n);
        }
    }

    /** Whether f's derivative is computed from the forward output y rather than from x. */
    private static boolean readsOutput(UnaryOp f) {
        return f instanceof UnaryOp.Sigmoid || f instanceof UnaryOp.Tanh || f instanceof UnaryOp.Exp
                || f instanceof UnaryOp.Sqrt;
    }

    /** dx = f′·dy, f′ from {@code source}: y for the functions {@link #readsOutput} names, else x. */
    private static void gradient(UnaryOp f, float[] source, int so, float[] dy, int go, float[] dx, int dxo, int n) {
        switch (f) {
            case UnaryOp.Relu _ -> reluGradient(0f, source, so, dy, go, dx, dxo, n);
            case UnaryOp.LeakyRelu leaky -> reluGradient(leaky.slope(), source, so, dy, go, dx, dxo, n);
            case UnaryOp.Gelu _ -> geluGradient(source, so, dy, go, dx, dxo, n);
            case UnaryOp.Sigmoid _ -> sigmoidGradient(source, so, dy, go, dx, dxo, n);
            case UnaryOp.Tanh _ -> tanhGradient(source, so, dy, go, dx, dxo, n);
            case UnaryOp.Exp _ -> ArrayMath.multiply(dy, go, source, so, dx, dxo, n);
            case UnaryOp.Log _ -> ArrayMath.divide(dy, go, source, so, dx, dxo, n);
            case UnaryOp.Sqrt _ -> sqrtGradient(source, so, dy, go, dx, dxo, n);
            case UnaryOp.Abs _ -> absGradient(source, so, dy, go, dx, dxo, n);
            case UnaryOp.Clamp clamp -> clampGradient(clamp.min(), clamp.max(), source, so, dy, go, dx, dxo, n);
            case UnaryOp.Scale scale -> ArrayMath.multiply(dy, go, scale.factor(), dx, dxo, n);
        }
    }

    private static void leakyRelu(float slope, float[] x, int xo, float[] y, int yo, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += V) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            v.mul(slope).blend(v, v.compare(VectorOperators.GT, 0f)).intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector v = FloatVector.fromArray(S, x, xo + i, m);
            v.mul(slope).blend(v, v.compare(VectorOperators.GT, 0f)).intoArray(y, yo + i, m);
        }
    }

    /**
     * 0.5·x·(1 + tanh(u)), u = √(2/π)·x·(1 + 0.044715·x²), computed as x·σ(2u) = x/(1 + e^(−2u)): the
     * same function (0.5·(1 + tanh(u)) = σ(2u)), but EXP is about six times faster than TANH here
     * (measured in ElementwiseBenchmark), and there is no cancellation in 1 + tanh(u) for negative x.
     */
    private static void gelu(float[] x, int xo, float[] y, int yo, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += V) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            v.div(geluExp(v).add(1f)).intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector v = FloatVector.fromArray(S, x, xo + i, m);
            v.div(geluExp(v).add(1f)).intoArray(y, yo + i, m);
        }
    }

    /** e^(−2u), u = √(2/π)·x·(1 + 0.044715·x²). */
    private static FloatVector geluExp(FloatVector x) {
        return x.mul(x).fma(-2 * GELU_SCALE * GELU_CUBIC, -2 * GELU_SCALE).mul(x).lanewise(VectorOperators.EXP);
    }

    private static void sigmoid(float[] x, int xo, float[] y, int yo, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += V) {
            sigmoid(FloatVector.fromArray(S, x, xo + i)).intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            sigmoid(FloatVector.fromArray(S, x, xo + i, m)).intoArray(y, yo + i, m);
        }
    }

    private static FloatVector sigmoid(FloatVector x) {
        return FloatVector.broadcast(S, 1f).div(x.neg().lanewise(VectorOperators.EXP).add(1f));
    }

    private static void clamp(float min, float max, float[] x, int xo, float[] y, int yo, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += V) {
            FloatVector.fromArray(S, x, xo + i).max(min).min(max).intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector.fromArray(S, x, xo + i, m).max(min).min(max).intoArray(y, yo + i, m);
        }
    }

    /** dy where x > 0, else slope·dy (0 for relu, even for an infinite dy). */
    private static void reluGradient(float slope, float[] x, int xo, float[] dy, int go, float[] dx, int dxo, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += V) {
            FloatVector g = FloatVector.fromArray(S, dy, go + i);
            VectorMask<Float> positive = FloatVector.fromArray(S, x, xo + i).compare(VectorOperators.GT, 0f);
            negativeSide(slope, g).blend(g, positive).intoArray(dx, dxo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector g = FloatVector.fromArray(S, dy, go + i, m);
            VectorMask<Float> positive = FloatVector.fromArray(S, x, xo + i, m).compare(VectorOperators.GT, 0f);
            negativeSide(slope, g).blend(g, positive).intoArray(dx, dxo + i, m);
        }
    }

    private static FloatVector negativeSide(float slope, FloatVector g) {
        return slope == 0f ? FloatVector.zero(S) : g.mul(slope);
    }

    private static void geluGradient(float[] x, int xo, float[] dy, int go, float[] dx, int dxo, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += V) {
            geluGradient(FloatVector.fromArray(S, x, xo + i), FloatVector.fromArray(S, dy, go + i))
                    .intoArray(dx, dxo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            geluGradient(FloatVector.fromArray(S, x, xo + i, m), FloatVector.fromArray(S, dy, go + i, m))
                    .intoArray(dx, dxo + i, m);
        }
    }

    /**
     * dy·(s + 2x·s·(1 − s)·√(2/π)·(1 + 3·0.044715·x²)) with s = σ(2u) = 0.5·(1 + tanh(u)): the tanh
     * form's derivative 0.5·(1 + t) + 0.5·x·(1 − t²)·u′ written in s, as the forward pass computes it.
     */
    private static FloatVector geluGradient(FloatVector x, FloatVector dy) {
        FloatVector s = FloatVector.broadcast(S, 1f).div(geluExp(x).add(1f));
        FloatVector slope = x.mul(x).fma(6 * GELU_SCALE * GELU_CUBIC, 2 * GELU_SCALE);
        FloatVector derivative = x.mul(s.sub(s.mul(s))).fma(slope, s);
        return derivative.mul(dy);
    }

    /** dy·y·(1 − y). */
    private static void sigmoidGradient(float[] y, int yo, float[] dy, int go, float[] dx, int dxo, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += V) {
            FloatVector v = FloatVector.fromArray(S, y, yo + i);
            v.mul(v.neg().add(1f)).mul(FloatVector.fromArray(S, dy, go + i)).intoArray(dx, dxo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector v = FloatVector.fromArray(S, y, yo + i, m);
            v.mul(v.neg().add(1f)).mul(FloatVector.fromArray(S, dy, go + i, m)).intoArray(dx, dxo + i, m);
        }
    }

    /** dy·(1 − y²). */
    private static void tanhGradient(float[] y, int yo, float[] dy, int go, float[] dx, int dxo, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += V) {
            FloatVector v = FloatVector.fromArray(S, y, yo + i);
            v.fma(v.neg(), FloatVector.broadcast(S, 1f)).mul(FloatVector.fromArray(S, dy, go + i))
                    .intoArray(dx, dxo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector v = FloatVector.fromArray(S, y, yo + i, m);
            v.fma(v.neg(), FloatVector.broadcast(S, 1f)).mul(FloatVector.fromArray(S, dy, go + i, m))
                    .intoArray(dx, dxo + i, m);
        }
    }

    /** dy·0.5/y. */
    private static void sqrtGradient(float[] y, int yo, float[] dy, int go, float[] dx, int dxo, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += V) {
            FloatVector.fromArray(S, dy, go + i).mul(0.5f).div(FloatVector.fromArray(S, y, yo + i))
                    .intoArray(dx, dxo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector.fromArray(S, dy, go + i, m).mul(0.5f).div(FloatVector.fromArray(S, y, yo + i, m))
                    .intoArray(dx, dxo + i, m);
        }
    }

    /** dy·sign(x): −dy below 0, 0 at 0, NaN for a NaN x. */
    private static void absGradient(float[] x, int xo, float[] dy, int go, float[] dx, int dxo, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += V) {
            absGradient(FloatVector.fromArray(S, x, xo + i), FloatVector.fromArray(S, dy, go + i))
                    .intoArray(dx, dxo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            absGradient(FloatVector.fromArray(S, x, xo + i, m), FloatVector.fromArray(S, dy, go + i, m))
                    .intoArray(dx, dxo + i, m);
        }
    }

    private static FloatVector absGradient(FloatVector x, FloatVector dy) {
        return dy.blend(dy.neg(), x.compare(VectorOperators.LT, 0f))
                .blend(0f, x.compare(VectorOperators.EQ, 0f))
                .blend(x, x.test(VectorOperators.IS_NAN));
    }

    /** dy inside [min, max], ends included; 0 outside. */
    private static void clampGradient(float min, float max, float[] x, int xo, float[] dy, int go, float[] dx,
                                      int dxo, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += V) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            VectorMask<Float> inside = v.compare(VectorOperators.GE, min).and(v.compare(VectorOperators.LE, max));
            FloatVector.zero(S).blend(FloatVector.fromArray(S, dy, go + i), inside).intoArray(dx, dxo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector v = FloatVector.fromArray(S, x, xo + i, m);
            VectorMask<Float> inside = v.compare(VectorOperators.GE, min).and(v.compare(VectorOperators.LE, max));
            FloatVector.zero(S).blend(FloatVector.fromArray(S, dy, go + i, m), inside).intoArray(dx, dxo + i, m);
        }
    }

    private static int[] laneIndex() {
        int[] lanes = new int[V];
        for (int i = 0; i < lanes.length; i++) {
            lanes[i] = i;
        }
        return lanes;
    }
}
