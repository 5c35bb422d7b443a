package org.isthmus.kernels.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
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
