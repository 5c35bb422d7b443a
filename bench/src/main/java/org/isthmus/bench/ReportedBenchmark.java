package org.isthmus.bench;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What {@link BenchReport} needs from a JMH benchmark class to put it in the report: how much
 * work one call does, so that a time per call becomes GFLOP/s or GB/s. A class that does not
 * implement it is left out of the report with a message.
 *
 * <p>The report reads the rest from the class's {@code @Param} fields, by name:
 * <ul>
 * <li>{@code implementation} or {@code backend}: the column (an Isthmus backend name or a peer);
 *     the report adds every other available Isthmus backend but {@code scalar} to it;</li>
 * <li>{@code shape}, {@code layer} or {@code size}: the row's size label;</li>
 * <li>{@code op} or {@code pass}: the op's name (otherwise the {@code @Benchmark} method's name);
 *     any other parameter is appended to it ("sgemm NN");</li>
 * <li>an op named {@value #CEILING_OP} is the same-run bandwidth ceiling that memory-bound
 *     ops are shown next to: the copy run with the same other parameters ("copy native" for
 *     "softmax native").</li>
 * </ul>
 * The benchmark must run in {@code Mode.AverageTime}.
 */
public interface ReportedBenchmark {

    /** The op whose GB/s memory-bound ops are compared with: a plain copy of the same bytes in the same run. */
    String CEILING_OP = "copy";

    /**
     * The work of one call of the {@code @Benchmark} method {@code method} on an instance whose
     * {@code @Param} fields are set and whose setup has <em>not</em> run.
     */
    Work work(String method);

    /** The op family's name in the report: the class name without "Benchmark", lower case. */
    default String family() {
        return getClass().getSimpleName().replaceFirst("Benchmark$", "").toLowerCase(Locale.ROOT);
    }

    /**
     * The {@code @Param} values a {@code --quick} report runs instead of the class's own (a few
     * sizes); a parameter not named keeps its {@code @Param} values.
     */
    default Map<String, List<String>> quickParams() {
        return Map.of();
    }

    /** The {@code @Benchmark} methods a {@code --quick} report runs; empty: every one. */
    default Set<String> quickMethods() {
        return Set.of();
    }

    /**
     * The ops (by their report label: the {@code op} or {@code pass} parameter, else the method)
     * whose code does not depend on the implementation parameter, such as {@value #CEILING_OP}:
     * the report runs them with the first implementation only.
     */
    default Set<String> implementationIndependentOps() {
        return Set.of(CEILING_OP);
    }

    /**
     * The implementations that run on one thread whatever {@code -Disthmus.threads}: when one
     * thread is among those asked for, the report leaves them out at more threads.
     */
    default Set<String> oneThreadImplementations() {
        return Set.of("scalar");
    }

    /**
     * Why the report leaves out this combination of {@code @Benchmark} method and {@code @Param}
     * values, or empty to run it: for a peer that takes seconds a call at big sizes.
     */
    default Optional<String> skipReason(String method, Map<String, String> params) {
        return Optional.empty();
    }

    /** Work per call: floating-point operations or bytes moved. */
    record Work(double amount, Unit unit) {

        public Work {
            if (!(amount > 0)) {
                throw new IllegalArgumentException("work per call must be > 0, got " + amount);
            }
        }

        public static Work flops(double flops) {
            return new Work(flops, Unit.FLOP);
        }

        public static Work bytes(double bytes) {
            return new Work(bytes, Unit.BYTE);
        }

        /** GFLOP/s or GB/s for one call taking {@code seconds}. */
        public double rate(double seconds) {
            return amount / seconds / 1e9;
        }
    }

    /** What {@link Work} counts, and the rate it turns into. */
    enum Unit {
        FLOP("GFLOP/s"),
        BYTE("GB/s");

        private final String rate;

        Unit(String rate) {
            this.rate = rate;
        }

        /** "GFLOP/s" or "GB/s". */
        public String rate() {
            return rate;
        }
    }
}
