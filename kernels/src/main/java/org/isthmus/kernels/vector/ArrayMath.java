package org.isthmus.kernels.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector loops over float[] ranges that the elementwise, reduction and pooling kernels share.
 * Each loop runs to {@code loopBound} and finishes with one masked vector, so a formula is
 * written once. There is one loop per operator, not one loop taking a {@code VectorOperators}
 * argument: C2 compiles such a loop on its own, where the operator is not a constant, and every
 * vector is then boxed (measured: relu, exp and add 10–25× slower than with these loops).
 * Sums keep four independent accumulators: one add's latency (3 cycles on Zen 3) would
 * otherwise bound the loop below the two loads a cycle the core can do.
 */
final class ArrayMath {

    private static final VectorSpecies<Float> S = Species.FLOAT;
    private static final VectorSpecies<Integer> I = S.withLanes(int.class);
    private static final int V = S.length();
    /** Lane i takes lane i ^ h: pairs lanes h apart, for the fixed reduction tree of {@link #sumLanes}. */
    private static final VectorShuffle<Float> FOLD_8 = V >= 16 ? VectorShuffle.fromOp(S, i -> i ^ 8) : null;
    private static final VectorShuffle<Float> FOLD_4 = V >= 8 ? VectorShuffle.fromOp(S, i -> i ^ 4) : null;
    private static final VectorShuffle<Float> FOLD_2 = V >= 4 ? VectorShuffle.fromOp(S, i -> i ^ 2) : null;
    private static final VectorShuffle<Float> FOLD_1 = VectorShuffle.fromOp(S, i -> i ^ 1);

    private ArrayMath() {
    }

    /**
     * The sum of v's lanes, always added in the same order (a fixed tree of lanewise adds).
     * {@code reduceLanes(ADD)} leaves the order of a float sum to the implementation, and the
     * interpreted, C1 and C2 code of one call site differ: the same sum over the same row came out
     * in two values that alternated from call to call while the JIT settled. Every float
     * reduction goes through here, so a seeded run computes the same bits every time.
     */
    static float sumLanes(FloatVector v) {
        if (V >= 16) {
            v = v.add(v.rearrange(FOLD_8));
        }
        if (V >= 8) {
            v = v.add(v.rearrange(FOLD_4));
        }
        if (V >= 4) {
            v = v.add(v.rearrange(FOLD_2));
        }
        return v.add(v.rearrange(FOLD_1)).lane(0);
    }

    /**
     * The largest lane of a vector that holds no NaN, by the same tree as {@link #sumLanes} with a
     * compare and a blend at each step: 12 instructions at 16 lanes, where {@code reduceLanes(MAX)}
     * keeps Java's NaN rule at each step and takes 24 (bench/NOTES.md, "Session 30").
     */
    static float maxLanes(FloatVector v) {
        FloatVector folded;
        if (V >= 16) {
            folded = v.rearrange(FOLD_8);
            v = v.blend(folded, folded.compare(VectorOperators.GT, v));
        }
        if (V >= 8) {
            folded = v.rearrange(FOLD_4);
            v = v.blend(folded, folded.compare(VectorOperators.GT, v));
        }
        if (V >= 4) {
            folded = v.rearrange(FOLD_2);
            v = v.blend(folded, folded.compare(VectorOperators.GT, v));
        }
        folded = v.rearrange(FOLD_1);
        return v.blend(folded, folded.compare(VectorOperators.GT, v)).lane(0);
    }

    /** y[i] = a[i] + b[i]. */
    static void add(float[] a, int ao, float[] b, int bo, float[] y, int yo, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += V) {
            FloatVector.fromArray(S, a, ao + i).add(FloatVector.fromArray(S, b, bo + i)).intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector.fromArray(S, a, ao + i, m).add(FloatVector.fromArray(S, b, bo + i, m))
                    .intoArray(y, yo + i, m);
        }
    }

    /** y[i] = a[i] − b[i]. */
    static void subtract(float[] a, int ao, float[] b, int bo, float[] y, int yo, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += V) {
            FloatVector.fromArray(S, a, ao + i).sub(FloatVector.fromArray(S, b, bo + i)).intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector.fromArray(S, a, ao + i, m).sub(FloatVector.fromArray(S, b, bo + i, m))
                    .intoArray(y, yo + i, m);
        }
    }

    /** y[i] = a[i] · b[i]. */
    static void multiply(float[] a, int ao, float[] b, int bo, float[] y, int yo, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += V) {
            FloatVector.fromArray(S, a, ao + i).mul(FloatVector.fromArray(S, b, bo + i)).intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector.fromArray(S, a, ao + i, m).mul(FloatVector.fromArray(S, b, bo + i, m))
                    .intoArray(y, yo + i, m);
        }
    }

    /** y[i] = a[i] / b[i]. */
    static void divide(float[] a, int ao, float[] b, int bo, float[] y, int yo, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += V) {
            FloatVector.fromArray(S, a, ao + i).div(FloatVector.fromArray(S, b, bo + i)).intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector.fromArray(S, a, ao + i, m).div(FloatVector.fromArray(S, b, bo + i, m))
                    .intoArray(y, yo + i, m);
        }
    }

    /** y[i] = a[i] + b. */
    static void add(float[] a, int ao, float b, float[] y, int yo, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += V) {
            FloatVector.fromArray(S, a, ao + i).add(b).intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector.fromArray(S, a, ao + i, m).add(b).intoArray(y, yo + i, m);
        }
    }

    /** y[i] = a[i] − b. */
    static void subtract(float[] a, int ao, float b, float[] y, int yo, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += V) {
            FloatVector.fromArray(S, a, ao + i).sub(b).intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector.fromArray(S, a, ao + i, m).sub(b).intoArray(y, yo + i, m);
        }
    }

    /** y[i] = a[i] · b. */
    static void multiply(float[] a, int ao, float b, float[] y, int yo, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += V) {
            FloatVector.fromArray(S, a, ao + i).mul(b).intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector.fromArray(S, a, ao + i, m).mul(b).intoArray(y, yo + i, m);
        }
    }

    /** y[i] = a[i] / b. */
    static void divide(float[] a, int ao, float b, float[] y, int yo, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += V) {
            FloatVector.fromArray(S, a, ao + i).div(b).intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector.fromArray(S, a, ao + i, m).div(b).intoArray(y, yo + i, m);
        }
    }

    /** y[i] = max(a[i], b), NaN for a NaN a[i] (Math.max). */
    static void atLeast(float[] a, int ao, float b, float[] y, int yo, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += V) {
            FloatVector.fromArray(S, a, ao + i).max(b).intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector.fromArray(S, a, ao + i, m).max(b).intoArray(y, yo + i, m);
        }
    }

    /** y[i] = e^x[i]. */
    static void exp(float[] x, int xo, float[] y, int yo, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += V) {
            FloatVector.fromArray(S, x, xo + i).lanewise(VectorOperators.EXP).intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector.fromArray(S, x, xo + i, m).lanewise(VectorOperators.EXP).intoArray(y, yo + i, m);
        }
    }

    /** y[i] = ln x[i]. */
    static void log(float[] x, int xo, float[] y, int yo, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += V) {
            FloatVector.fromArray(S, x, xo + i).lanewise(VectorOperators.LOG).intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector.fromArray(S, x, xo + i, m).lanewise(VectorOperators.LOG).intoArray(y, yo + i, m);
        }
    }

    /** y[i] = tanh x[i]. */
    static void tanh(float[] x, int xo, float[] y, int yo, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += V) {
            FloatVector.fromArray(S, x, xo + i).lanewise(VectorOperators.TANH).intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector.fromArray(S, x, xo + i, m).lanewise(VectorOperators.TANH).intoArray(y, yo + i, m);
        }
    }

    /** y[i] = √x[i]. */
    static void sqrt(float[] x, int xo, float[] y, int yo, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += V) {
            FloatVector.fromArray(S, x, xo + i).sqrt().intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector.fromArray(S, x, xo + i, m).sqrt().intoArray(y, yo + i, m);
        }
    }

    /** y[i] = |x[i]|. */
    static void abs(float[] x, int xo, float[] y, int yo, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += V) {
            FloatVector.fromArray(S, x, xo + i).abs().intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector.fromArray(S, x, xo + i, m).abs().intoArray(y, yo + i, m);
        }
    }

    /** y[i] = −x[i]. */
    static void negate(float[] x, int xo, float[] y, int yo, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += V) {
            FloatVector.fromArray(S, x, xo + i).neg().intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector.fromArray(S, x, xo + i, m).neg().intoArray(y, yo + i, m);
        }
    }

    /** y[i] += alpha·x[i], one fused multiply-add per element. */
    static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        FloatVector a = FloatVector.broadcast(S, alpha);
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += V) {
            FloatVector.fromArray(S, x, xo + i).fma(a, FloatVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector.fromArray(S, x, xo + i, m).fma(a, FloatVector.fromArray(S, y, yo + i, m))
                    .intoArray(y, yo + i, m);
        }
    }

    /** acc[i] += x[i]. */
    static void accumulate(float[] acc, int ao, float[] x, int xo, int n) {
        axpy(1f, x, xo, acc, ao, n);
    }

    /** acc[i] += a[i]·b[i]. */
    static void accumulateProduct(float[] acc, int ao, float[] a, int aOffset, float[] b, int bo, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += V) {
            FloatVector.fromArray(S, a, aOffset + i).fma(FloatVector.fromArray(S, b, bo + i),
                    FloatVector.fromArray(S, acc, ao + i)).intoArray(acc, ao + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector.fromArray(S, a, aOffset + i, m).fma(FloatVector.fromArray(S, b, bo + i, m),
                    FloatVector.fromArray(S, acc, ao + i, m)).intoArray(acc, ao + i, m);
        }
    }

    /** acc[i] += (x[i] − mean[i])². */
    static void accumulateSquaredDeviation(float[] acc, int ao, float[] x, int xo, float[] mean, int mo, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += V) {
            FloatVector d = FloatVector.fromArray(S, x, xo + i).sub(FloatVector.fromArray(S, mean, mo + i));
            d.fma(d, FloatVector.fromArray(S, acc, ao + i)).intoArray(acc, ao + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector d = FloatVector.fromArray(S, x, xo + i, m).sub(FloatVector.fromArray(S, mean, mo + i, m));
            d.fma(d, FloatVector.fromArray(S, acc, ao + i, m)).intoArray(acc, ao + i, m);
        }
    }

    /** y[i] = (x[i] − mean[i])·factor[i]. */
    static void scaledDeviation(float[] x, int xo, float[] mean, int mo, float[] factor, int fo, float[] y, int yo,
                                int n) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += V) {
            FloatVector.fromArray(S, x, xo + i).sub(FloatVector.fromArray(S, mean, mo + i))
                    .mul(FloatVector.fromArray(S, factor, fo + i)).intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector.fromArray(S, x, xo + i, m).sub(FloatVector.fromArray(S, mean, mo + i, m))
                    .mul(FloatVector.fromArray(S, factor, fo + i, m)).intoArray(y, yo + i, m);
        }
    }

    /** y[i] = x[i]·scale + shift. */
    static void affine(float[] x, int xo, float scale, float shift, float[] y, int yo, int n) {
        FloatVector a = FloatVector.broadcast(S, scale);
        FloatVector b = FloatVector.broadcast(S, shift);
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += V) {
            FloatVector.fromArray(S, x, xo + i).fma(a, b).intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector.fromArray(S, x, xo + i, m).fma(a, b).intoArray(y, yo + i, m);
        }
    }

    /** y[i] = value. */
    static void fill(float[] y, int yo, float value, int n) {
        FloatVector v = FloatVector.broadcast(S, value);
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += V) {
            v.intoArray(y, yo + i);
        }
        for (; i < n; i++) {
            y[yo + i] = value;
        }
    }

    /** Σ x[i]. */
    static float sum(float[] x, int xo, int n) {
        FloatVector s0 = FloatVector.zero(S), s1 = FloatVector.zero(S), s2 = FloatVector.zero(S),
                s3 = FloatVector.zero(S);
        int bound4 = n - n % (4 * V);
        int i = 0;
        for (; i < bound4; i += 4 * V) {
            s0 = s0.add(FloatVector.fromArray(S, x, xo + i));
            s1 = s1.add(FloatVector.fromArray(S, x, xo + i + V));
            s2 = s2.add(FloatVector.fromArray(S, x, xo + i + 2 * V));
            s3 = s3.add(FloatVector.fromArray(S, x, xo + i + 3 * V));
        }
        for (; i < S.loopBound(n); i += V) {
            s0 = s0.add(FloatVector.fromArray(S, x, xo + i));
        }
        float sum = sumLanes(s0.add(s1).add(s2.add(s3)));
        for (; i < n; i++) {
            sum += x[xo + i];
        }
        return sum;
    }

    /** Σ a[i]·b[i]. */
    static float dot(float[] a, int ao, float[] b, int bo, int n) {
        FloatVector s0 = FloatVector.zero(S), s1 = FloatVector.zero(S), s2 = FloatVector.zero(S),
                s3 = FloatVector.zero(S);
        int bound4 = n - n % (4 * V);
        int i = 0;
        for (; i < bound4; i += 4 * V) {
            s0 = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), s0);
            s1 = FloatVector.fromArray(S, a, ao + i + V).fma(FloatVector.fromArray(S, b, bo + i + V), s1);
            s2 = FloatVector.fromArray(S, a, ao + i + 2 * V).fma(FloatVector.fromArray(S, b, bo + i + 2 * V), s2);
            s3 = FloatVector.fromArray(S, a, ao + i + 3 * V).fma(FloatVector.fromArray(S, b, bo + i + 3 * V), s3);
        }
        for (; i < S.loopBound(n); i += V) {
            s0 = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), s0);
        }
        float sum = sumLanes(s0.add(s1).add(s2.add(s3)));
        for (; i < n; i++) {
            sum = Math.fma(a[ao + i], b[bo + i], sum);
        }
        return sum;
    }

    /** Σ (x[i] − mean)². */
    static float squaredDeviation(float[] x, int xo, int n, float mean) {
        FloatVector s0 = FloatVector.zero(S), s1 = FloatVector.zero(S);
        int bound2 = n - n % (2 * V);
        int i = 0;
        for (; i < bound2; i += 2 * V) {
            FloatVector d0 = FloatVector.fromArray(S, x, xo + i).sub(mean);
            FloatVector d1 = FloatVector.fromArray(S, x, xo + i + V).sub(mean);
            s0 = d0.fma(d0, s0);
            s1 = d1.fma(d1, s1);
        }
        for (; i < S.loopBound(n); i += V) {
            FloatVector d = FloatVector.fromArray(S, x, xo + i).sub(mean);
            s0 = d.fma(d, s0);
        }
        float sum = sumLanes(s0.add(s1));
        for (; i < n; i++) {
            float d = x[xo + i] - mean;
            sum = Math.fma(d, d, sum);
        }
        return sum;
    }

    /** max x[i], NaN when any x[i] is NaN (the Vector API's MAX is Math.max, NaN-propagating). */
    static float max(float[] x, int xo, int n) {
        FloatVector m0 = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY), m1 = m0;
        int bound2 = n - n % (2 * V);
        int i = 0;
        for (; i < bound2; i += 2 * V) {
            m0 = m0.max(FloatVector.fromArray(S, x, xo + i));
            m1 = m1.max(FloatVector.fromArray(S, x, xo + i + V));
        }
        for (; i < S.loopBound(n); i += V) {
            m0 = m0.max(FloatVector.fromArray(S, x, xo + i));
        }
        float max = m0.max(m1).reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            max = Math.max(max, x[xo + i]);
        }
        return max;
    }

    /** The first i with x[i] == value (the first NaN for a NaN value), or −1. */
    static int indexOf(float[] x, int xo, int n, float value) {
        boolean nan = Float.isNaN(value);
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += V) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            VectorMask<Float> hit = nan ? v.test(VectorOperators.IS_NAN) : v.compare(VectorOperators.EQ, value);
            if (hit.anyTrue()) {
                return i + hit.firstTrue();
            }
        }
        for (; i < n; i++) {
            float v = x[xo + i];
            if (nan ? Float.isNaN(v) : v == value) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Where a running max meets row s: best and bestIndex take x where x > best or x is the first NaN.
     * The last vector may overlap the one before it instead of a scalar tail, whose unpredictable
     * branches cost more than the whole vector body on short rows (pooling's 28 floats): a lane
     * already updated with row s does not change again.
     */
    static void updateMax(float[] best, int[] bestIndex, float[] x, int xo, int s, int n) {
        if (n < V) {
            for (int i = 0; i < n; i++) {
                float v = x[xo + i];
                if (v > best[i] || Float.isNaN(v) && !Float.isNaN(best[i])) {
                    best[i] = v;
                    bestIndex[i] = s;
                }
            }
            return;
        }
        for (int start = 0; start < n; start += V) {
            int i = Math.min(start, n - V);
            FloatVector b = FloatVector.fromArray(S, best, i);
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            VectorMask<Float> better = v.compare(VectorOperators.GT, b)
                    .or(v.test(VectorOperators.IS_NAN).andNot(b.test(VectorOperators.IS_NAN)));
            b.blend(v, better).intoArray(best, i);
            IntVector.fromArray(I, bestIndex, i).blend(s, better.cast(I)).intoArray(bestIndex, i);
        }
    }
}
