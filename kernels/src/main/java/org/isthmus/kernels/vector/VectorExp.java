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
}
