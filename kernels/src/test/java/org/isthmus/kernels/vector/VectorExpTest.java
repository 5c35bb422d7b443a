package org.isthmus.kernels.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.isthmus.kernels.TestSeeds;
import org.junit.jupiter.api.Test;

/**
 * The softmax family's polynomial exp against Math.exp, on the arguments softmax gives it
 * (x − max ≤ 0) and the positive ones where it still holds: within 2 ulp wherever e^x is a
 * normal float, exactly 0 below (subnormals flushed) and at −∞, NaN for NaN.
 */
class VectorExpTest {

    private static final VectorSpecies<Float> S = Species.FLOAT;
    /** Every 251st float from 0 down to −104 (below which e^x is 0 in float): 4.4 million arguments. */
    private static final int STRIDE = 251;

    @Test
    void nonPositiveArgumentsAreWithinTwoUlpOrFlushed() {
        float[] x = new float[S.length()];
        int lane = 0;
        int lowest = Float.floatToRawIntBits(-104f);
        for (int bits = Float.floatToRawIntBits(-0f); bits <= lowest; bits += STRIDE) {
            x[lane++] = Float.intBitsToFloat(bits);
            if (lane == x.length) {
                assertLanes(x);
                lane = 0;
            }
        }
    }

    @Test
    void positiveArgumentsUpToOverflowAreWithinTwoUlp() {
        float[] x = new float[S.length()];
        int lane = 0;
        for (int bits = 0; Float.intBitsToFloat(bits) < 88.37f; bits += STRIDE) {
            x[lane++] = Float.intBitsToFloat(bits);
            if (lane == x.length) {
                assertLanes(x);
                lane = 0;
            }
        }
    }

    @Test
    void specialValues() {
        float[] x = new float[S.length()];
        float[] specials = {0f, -0f, Float.NEGATIVE_INFINITY, Float.NaN, Float.intBitsToFloat(0x7FC0_1234),
            -87.33655f, -87.3365f, -87.34f, -103.97f, -Float.MAX_VALUE, Float.MIN_VALUE, -Float.MIN_VALUE};
        for (float special : specials) {
            java.util.Arrays.fill(x, special);
            float[] e = exp(x);
            for (float value : e) {
                if (Float.isNaN(special)) {
                    assertTrue(Float.isNaN(value), "exp(" + special + ") = " + value);
                } else {
                    assertWithinTwoUlpOrFlushed(special, value);
                }
            }
        }
        assertEquals(1f, exp(new float[S.length()])[0], "e⁰ is exactly 1");
    }

    /**
     * e^x·2^k, the row loops' shifted exponential, against Math.exp(x + k·ln 2) in double: within 3 ulp
     * for whole k up to 2¹⁶ either way and x with t = x·log₂e + k in [−125, 64]; 0 below t = −126.01 (a
     * lane between that and −125 may be either); −∞ gives 0 and NaN gives NaN.
     */
    @Test
    void expScaledIsWithinThreeUlpOrFlushed() {
        SplittableRandom random = new SplittableRandom(TestSeeds.forCase("expScaled"));
        float[] x = new float[S.length()];
        float[] e = new float[S.length()];
        for (int round = 0; round < 100_000; round++) {
            float k = (float) Math.rint(random.nextDouble(-1, 1) * (round % 2 == 0 ? 200 : VectorExp.MAX_SCALE_EXPONENT));
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) ((random.nextDouble(-140, 64) - k) / 1.4426950408889634);
            }
            VectorExp.expScaled(FloatVector.fromArray(S, x, 0), k).intoArray(e, 0);
            for (int i = 0; i < x.length; i++) {
                double t = x[i] * 1.4426950408889634 + k;
                double expected = Math.exp(x[i] + k * Math.log(2));
                String where = "e^" + x[i] + "·2^" + k + " = " + e[i] + ", expected " + expected;
                if (t < -126.01) {
                    // The kernel decides on t without x·log₂e's low part (under 10⁻³ for these k).
                    assertEquals(0f, e[i], where);
                } else if (t >= -125) {
                    assertEquals(expected, e[i], 3 * Math.ulp((float) expected), where);
                }
            }
        }
        float[] specials = {Float.NEGATIVE_INFINITY, Float.NaN};
        for (float special : specials) {
            java.util.Arrays.fill(x, special);
            VectorExp.expScaled(FloatVector.fromArray(S, x, 0), 17).intoArray(e, 0);
            for (float value : e) {
                assertTrue(Float.isNaN(special) ? Float.isNaN(value) : value == 0f, "e^" + special + "·2^17 = " + value);
            }
        }
    }

    private static void assertLanes(float[] x) {
        float[] e = exp(x);
        for (int i = 0; i < x.length; i++) {
            assertWithinTwoUlpOrFlushed(x[i], e[i]);
        }
    }

    private static void assertWithinTwoUlpOrFlushed(float x, float actual) {
        float expected = (float) Math.exp(x);
        if (expected < Float.MIN_NORMAL) {
            assertTrue(actual == 0f || Math.abs(actual - expected) <= 2 * Math.ulp(expected),
                    "exp(" + x + ") = " + actual + ", expected " + expected + " or 0");
        } else {
            assertEquals(expected, actual, 2 * Math.ulp(expected), "exp(" + x + ")");
        }
    }

    private static float[] exp(float[] x) {
        float[] e = new float[x.length];
        VectorExp.exp(FloatVector.fromArray(S, x, 0)).intoArray(e, 0);
        return e;
    }
}
