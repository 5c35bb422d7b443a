package org.isthmus.cli;

import org.isthmus.kernels.Backend;
import org.isthmus.kernels.Backends;

/**
 * The main job, for now: which backends this machine has, a cross-check of the chosen backend's
 * sgemm against the scalar reference, and a short sgemm timing. Exits with status 1 if the
 * check fails.
 */
public final class Main {

    private static final int[] TIMED_SIZES = {256, 512, 1024};

    private Main() {
    }

    public static void main(String[] args) {
        if (args.length > 0) {
            System.err.println("usage: Main (no arguments; choose the backend with -Disthmus.backend=NAME"
                    + " or ISTHMUS_BACKEND, the threads with -Disthmus.threads=N)");
            System.exit(2);
        }
        System.out.println(Backends.describe());
        Backend backend = Backends.current();
        long seed = System.nanoTime();
        System.out.println();
        System.out.println("Cross-check (seed " + seed + "):");
        boolean passed = GemmCheck.run(backend, seed);
        System.out.println();
        System.out.println("Short timing (bench/gemm-report.sh compares with OpenBLAS properly):");
        GemmTiming.run(backend, TIMED_SIZES, seed);
        if (!passed) {
            System.exit(1);
        }
    }
}
