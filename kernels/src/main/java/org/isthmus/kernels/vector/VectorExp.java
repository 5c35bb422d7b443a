package org.isthmus.kernels.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * e^x for the softmax family's forward passes, where x = value − row max ≤ 0: 14 vector
 * operations per vector, about half the cost of {@code lanewise(VectorOperators.EXP)} (the JDK's
 * stub) on AVX2 (bench/NOTES.md, "Softmax").
 *
 * <p>x = n·ln 2 + r with n = round(x·log₂e) and |r| ≤ ln 2 / 2; e^r from a degree-6 polynomial
 * (relative error 2e-9, a minimax fit with p(0) = 1, so e⁰ is exactly 1); 2ⁿ from the bits of the
 * rounding itself: adding 1.5·2²³ + 127 to x·log₂e leaves n + 127 in the low mantissa bits, and
 * shifted left by 23 they are the float 2ⁿ. Within 2 ulp of {@code Math.exp} for x in
 * [−87.33, 88.37] (the test covers every x ≤ 0 that matters). Below −87.34 (where e^x is no longer
 * a normal float, 1.2e-38) and for −∞ the result is 0: subnormal results are flushed, an absolute
 * error under 1.2e-38, nothing next to a softmax denominator ≥ 1. NaN gives NaN (through the
 * polynomial: the 2ⁿ factor is finite whatever its bits). +∞ is outside the domain (NaN).
 */
final class VectorExp {

    private static final float LOG2_E = 1.442695f;
    /** ln 2 in two parts, so that x − n·ln 2 keeps its digits for |n| up to 126. */
    private static final float LN2_HIGH = 0.6931472f;
    private static final float LN2_LOW = -1.9046542e-9f;
    /** 1.5·2²³ (rounds to an integer, and stays in [2²³, 2²⁴) for any |n| < 2²²) plus the exponent bias. */
    private static final float ROUND_AND_BIAS = 0x1.8p23f + 127f;
    /** ln(2⁻¹²⁶): below it 2ⁿ is no longer a normal float. */
    private static final float SMALLEST_NORMAL_ARGUMENT = -87.33655f;

    private static final float C2 = 0.49999994f;
    private static final float C3 = 0.16666432f;
    private static final float C4 = 0.041668002f;
    private static final float C5 = 0.0083741556f;
    private static final float C6 = 0.0013843655f;

    /** log₂e in two parts, so that x·log₂e keeps its digits in {@link #expScaled}'s reduction. */
    private static final float LOG2_E_LOW = 1.925963e-8f;
    /** 2^f = 1 + f·(B1 + f·(B2 + …)) on [−1/2, 1/2]: a minimax fit, relative error 1e-7 (2e-7 evaluated in float). */
    private static final float B1 = 0.693147f;
    private static final float B2 = 0.24022242f;
    private static final float B3 = 0.055507336f;
    private static final float B4 = 0.009671513f;
    private static final float B5 = 0.0013264727f;
    /** The largest |k| that {@link #expScaled} takes. */
    static final float MAX_SCALE_EXPONENT = 65_536f;
    /** Below 2⁻¹²⁶ a power of two is no longer a normal float. */
    private static final float SMALLEST_NORMAL_EXPONENT = -126f;

    private VectorExp() {
    }

    static FloatVector exp(FloatVector x) {
        FloatVector rounded = x.fma(LOG2_E, ROUND_AND_BIAS);
        FloatVector n = rounded.sub(ROUND_AND_BIAS);
        FloatVector r = n.fma(FloatVector.broadcast(x.species(), -LN2_HIGH), x);
        r = n.fma(FloatVector.broadcast(x.species(), -LN2_LOW), r);
        FloatVector p = r.fma(C6, C5);
        p = p.fma(r, FloatVector.broadcast(x.species(), C4));
        p = p.fma(r, FloatVector.broadcast(x.species(), C3));
        p = p.fma(r, FloatVector.broadcast(x.species(), C2));
        p = p.fma(r, FloatVector.broadcast(x.species(), 1f));
        p = p.fma(r, FloatVector.broadcast(x.species(), 1f));
        FloatVector twoToTheN = rounded.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(twoToTheN).blend(0f, x.lt(SMALLEST_NORMAL_ARGUMENT));
    }

    /**
     * e^x·2^k for a whole number k with |k| ≤ {@link #MAX_SCALE_EXPONENT}: the row loops' e^(x − s) for a shift
     * s = −k·ln 2 that need not be the row's max, as long as t = x·log₂e + k stays at or below 127 (the
     * caller checks the row's largest t afterwards). The reduction is exact: t is rounded only to find
     * n = round(t), and the fraction f = x·log₂e + (k − n) is formed with k − n exact (two whole numbers
     * below 2²⁴) and log₂e in two parts, so f keeps its digits however far x and k are from 0; 2^f comes from
     * a degree-5 polynomial. Within 3 ulp of e^x·2^k where t ≥ −125; 0 where t &lt; −126 (t as taken
     * with log₂e's high part alone; subnormals flushed, as in {@link #exp}) and for x = −∞; NaN for NaN. The bound on k keeps |x·log₂e|'s low part,
     * which f takes after the rounding, below 10⁻³, inside the polynomial's interval.
     */
    static FloatVector expScaled(FloatVector x, float k) {
        FloatVector t = x.fma(LOG2_E, k);
        FloatVector rounded = t.add(ROUND_AND_BIAS);
        FloatVector n = rounded.sub(ROUND_AND_BIAS);
        FloatVector f = x.fma(FloatVector.broadcast(x.species(), LOG2_E), FloatVector.broadcast(x.species(), k).sub(n));
        f = x.fma(FloatVector.broadcast(x.species(), LOG2_E_LOW), f);
        FloatVector p = f.fma(B5, B4);
        p = p.fma(f, FloatVector.broadcast(x.species(), B3));
        p = p.fma(f, FloatVector.broadcast(x.species(), B2));
        p = p.fma(f, FloatVector.broadcast(x.species(), B1));
        p = p.fma(f, FloatVector.broadcast(x.species(), 1f));
        FloatVector twoToTheN = rounded.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(twoToTheN).blend(0f, t.lt(SMALLEST_NORMAL_EXPONENT));
    }
}
