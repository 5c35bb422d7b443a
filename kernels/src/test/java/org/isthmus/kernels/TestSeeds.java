package org.isthmus.kernels;

/** A fresh seed per run, printed so a failure can be replayed with -Disthmus.test.seed=N. */
public final class TestSeeds {

    static final long BASE = chooseBase();

    private TestSeeds() {
    }

    private static long chooseBase() {
        String fixed = System.getProperty("isthmus.test.seed");
        long seed = fixed != null ? Long.parseLong(fixed) : System.nanoTime();
        System.out.println("isthmus.test.seed=" + seed);
        return seed;
    }

    /** The seed for one case: the run's base seed mixed with the case's own identity. */
    public static long forCase(Object testCase) {
        return BASE * 31 + testCase.hashCode();
    }
}
