package org.isthmus.cli;

import java.util.List;
import org.isthmus.kernels.Backend;
import org.isthmus.kernels.Backends;

/**
 * The command line: {@code train} (the default), {@code evaluate}, {@code backends} and {@code gemm-check}.
 * Exits with status 2 on a usage error and 1 when a check fails.
 */
public final class Main {

    private static final int[] TIMED_SIZES = {256, 512, 1024};
    private static final String USAGE = """
            usage: Main [train] [--model mlp|cnn|logreg] [--epochs N] [--batch B] [--lr X]
                        [--optimizer adam|adamw|sgd|rmsprop|adagrad] [--backend auto|vector|onednn|scalar]
                        [--schedule cosine|constant] [--inputs standardized|unit]
                        [--data DIR] [--out DIR] [--seed S]
                   Main evaluate --checkpoint FILE [--data DIR]
                   Main backends
                   Main gemm-check""";

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("java.awt.headless", "true");
        List<String> all = List.of(args);
        boolean implicitTrain = all.isEmpty() || all.get(0).startsWith("--");
        String command = implicitTrain ? "train" : all.get(0);
        List<String> rest = implicitTrain ? all : all.subList(1, all.size());
        switch (command) {
            case "train" -> TrainCommand.run(parsed(() -> TrainOptions.parse(rest)));
            case "evaluate" -> TrainCommand.evaluate(parsed(() -> EvaluateOptions.parse(rest)));
            case "backends" -> System.out.println(Backends.describe());
            case "gemm-check" -> gemmCheck();
            default -> usageError("unknown command " + command);
        }
    }

    /** The parsed options, or the usage with the reason and exit status 2. */
    private static <T> T parsed(java.util.function.Supplier<T> parse) {
        try {
            return parse.get();
        } catch (IllegalArgumentException e) {
            usageError(e.getMessage());
            return null;
        }
    }

    private static void usageError(String reason) {
        System.err.println(reason);
        System.err.println(USAGE);
        System.exit(2);
    }

    private static void gemmCheck() {
        System.out.println(Backends.describe());
        Backend backend = Backends.current();
        long seed = System.nanoTime();
        System.out.println();
        System.out.println("Cross-check (seed " + seed + "):");
        boolean passed = GemmCheck.run(backend, seed);
        System.out.println();
        System.out.println("Short timing (bench/report.sh --only gemm compares with OpenBLAS properly):");
        GemmTiming.run(backend, TIMED_SIZES, seed);
        if (!passed) {
            System.exit(1);
        }
    }
}
