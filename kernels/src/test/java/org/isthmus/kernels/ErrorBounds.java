package org.isthmus.kernels;

/**
 * Error bounds for sums whose terms cancel: a float sum of n terms is off by about ε·Σ|terms|,
 * which can be any multiple of |Σ terms| itself, so its error is measured against the magnitude
 * Σ|terms| (the same sum of absolute values) rather than against the result.
 */
final class ErrorBounds {

    private ErrorBounds() {
    }

    /** Fails unless |actual − expected| ≤ tolerance·magnitude for every element (and NaN matches NaN). */
    static void assertWithinMagnitude(float[] expected, float[] actual, float[] magnitude, double tolerance,
                                      String what) {
        for (int i = 0; i < expected.length; i++) {
            if (Float.isNaN(expected[i]) != Float.isNaN(actual[i])) {
                throw new AssertionError(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i]);
            }
            double error = Math.abs((double) actual[i] - expected[i]);
            if (!(error <= tolerance * Math.abs(magnitude[i]))) {
                throw new AssertionError(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i]
                        + ", error " + error + " > " + tolerance + " × magnitude " + magnitude[i]);
            }
        }
    }
}
