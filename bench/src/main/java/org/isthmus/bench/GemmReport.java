package org.isthmus.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.isthmus.kernels.Backends;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs {@link GemmBenchmark} once per thread count and prints a Markdown table of GFLOP/s per
 * implementation (the median over all measured iterations) with the ratio vector / openblas.
 *
 * <p>JMH forks inherit this JVM's flags (its default {@code jvmArgs} are this JVM's input
 * arguments), so this JVM must itself be started with {@code isthmus.jvm.flags} from the parent pom;
 * {@code bench/gemm-report.sh} does that.
 */
public final class GemmReport {

    private static final String USAGE = """
            usage: gemm-report.sh [--quick] [--shapes 1024,2048,128x256x784] [--trans NN,NT,TN,TT]
                                  [--threads 1,2] [--impls vector,openblas,scalar]
              --quick    1 fork, short warmup and measurement: a smoke run, not numbers to quote
              --shapes   n for n x n x n, or MxNxK (default: every shape in GemmBenchmark)
              --trans    transpose cases, A then B (default: NN)
              --threads  thread counts, one JMH run each (default: 1 and all cores)
              --impls    "openblas" or Isthmus backend names (default: vector,openblas)""";
    private static final String VECTOR = "vector";

    private GemmReport() {
    }

    public static void main(String[] args) throws RunnerException {
        if (List.of(args).contains("--help") || List.of(args).contains("-h")) {
            System.out.println(USAGE);
            return;
        }
        Settings settings;
        try {
            settings = Settings.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        String missingFlags = missingJvmFlags();
        if (missingFlags != null) {
            System.err.println(missingFlags);
            System.exit(2);
        }

        List<String> implementations = new ArrayList<>(settings.implementations());
        System.out.println(Backends.describe());
        try {
            OpenBlas blas = OpenBlas.load();
            System.out.println("OpenBLAS: " + blas.config().trim() + " (" + blas.location() + ")");
        } catch (OpenBlas.UnavailableException e) {
            System.out.println(e.getMessage());
            if (implementations.remove(GemmBenchmark.OPENBLAS)) {
                System.out.println("Skipping openblas in this report.");
            }
        }
        System.out.println("Threads per run: " + settings.threads() + " (-Disthmus.threads; OpenBLAS set to match)");
        System.out.println();

        Map<Row, Map<String, Double>> table = new LinkedHashMap<>();
        for (String shape : settings.shapes()) {
            for (String transpose : settings.transposes()) {
                for (int threads : settings.threads()) {
                    table.put(new Row(shape, transpose, threads), new LinkedHashMap<>());
                }
            }
        }
        for (int threads : settings.threads()) {
            for (RunResult run : new Runner(options(settings, implementations, threads)).run()) {
                BenchmarkParams params = run.getParams();
                Row row = new Row(params.getParam("shape"), params.getParam("transpose"), threads);
                table.get(row).put(params.getParam("implementation"),
                        medianGflops(run, GemmBenchmark.Shape.parse(row.shape())));
            }
        }

        System.out.println();
        System.out.println("sgemm GFLOP/s (median iteration)"
                + (settings.quick() ? ", --quick: a smoke run" : "") + ":");
        System.out.println(markdown(table, implementations));
        long missing = table.values().stream()
                .mapToLong(cells -> implementations.stream().filter(name -> !cells.containsKey(name)).count()).sum();
        if (missing > 0) {
            System.out.println(missing + " benchmark(s) produced no result; the JMH log above says why.");
            System.exit(1);
        }
    }

    private static Options options(Settings settings, List<String> implementations, int threads) {
        ChainedOptionsBuilder builder = new OptionsBuilder()
                .include("^" + Pattern.quote(GemmBenchmark.class.getName()) + "\\.")
                .param("implementation", implementations.toArray(String[]::new))
                .param("shape", settings.shapes().toArray(String[]::new))
                .param("transpose", settings.transposes().toArray(String[]::new))
                .jvmArgsAppend("-Disthmus.threads=" + threads);
        if (settings.quick()) {
            builder.forks(1)
                    .warmupIterations(3).warmupTime(TimeValue.milliseconds(500))
                    .measurementIterations(3).measurementTime(TimeValue.milliseconds(500));
        }
        return builder.build();
    }

    /** GFLOP/s of the median iteration over all forks; JMH's own score is the mean, which one slow iteration drags. */
    private static double medianGflops(RunResult run, GemmBenchmark.Shape dims) {
        BenchmarkParams params = run.getParams();
        if (params.getMode() != Mode.AverageTime) {
            throw new IllegalStateException("GemmBenchmark must run in AverageTime mode, not " + params.getMode());
        }
        double[] scores = run.getBenchmarkResults().stream()
                .flatMap(fork -> fork.getIterationResults().stream())
                .mapToDouble(iteration -> iteration.getPrimaryResult().getScore())
                .sorted()
                .toArray();
        int middle = scores.length / 2;
        double medianTime = scores.length % 2 == 1 ? scores[middle] : (scores[middle - 1] + scores[middle]) / 2;
        double secondsPerCall = medianTime * params.getTimeUnit().toNanos(1) / 1e9;
        return dims.flops() / secondsPerCall / 1e9;
    }

    private static String markdown(Map<Row, Map<String, Double>> table, List<String> implementations) {
        boolean ratio = implementations.contains(VECTOR) && implementations.contains(GemmBenchmark.OPENBLAS);
        StringBuilder text = new StringBuilder("| shape (m x n x k) | trans | threads |");
        StringBuilder rule = new StringBuilder("| --- | --- | ---: |");
        for (String name : implementations) {
            text.append(' ').append(name).append(" GFLOP/s |");
            rule.append(" ---: |");
        }
        if (ratio) {
            text.append(" vector/openblas |");
            rule.append(" ---: |");
        }
        text.append('\n').append(rule).append('\n');
        table.forEach((row, cells) -> {
            text.append("| ").append(GemmBenchmark.Shape.parse(row.shape())).append(" | ").append(row.transpose())
                    .append(" | ").append(row.threads()).append(" |");
            for (String name : implementations) {
                Double gflops = cells.get(name);
                text.append(' ').append(gflops == null ? "n/a" : String.format(Locale.ROOT, "%.1f", gflops))
                        .append(" |");
            }
            if (ratio) {
                Double vector = cells.get(VECTOR);
                Double openblas = cells.get(GemmBenchmark.OPENBLAS);
                text.append(' ').append(vector == null || openblas == null
                        ? "n/a" : String.format(Locale.ROOT, "%.2f", vector / openblas)).append(" |");
            }
            text.append('\n');
        });
        return text.toString();
    }

    /** Null when this JVM has the flags its forks need, else what to do about it. */
    private static String missingJvmFlags() {
        boolean vector = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        boolean nativeAccess = GemmReport.class.getModule().isNativeAccessEnabled();
        if (vector && nativeAccess) {
            return null;
        }
        return "This JVM lacks " + (vector ? "" : "--add-modules jdk.incubator.vector ")
                + (nativeAccess ? "" : "--enable-native-access=ALL-UNNAMED ")
                + "and JMH forks inherit its flags: run bench/gemm-report.sh, which starts it with the parent pom's"
                + " isthmus.jvm.flags.";
    }

    /** One table row, keyed by the parameter values as JMH reports them back. */
    private record Row(String shape, String transpose, int threads) {
    }

    private record Settings(boolean quick, List<String> shapes, List<String> transposes, List<Integer> threads,
                            List<String> implementations) {

        static Settings parse(String[] args) {
            boolean quick = false;
            List<String> shapes = defaults("shape");
            List<String> transposes = defaults("transpose");
            List<String> implementations = defaults("implementation");
            List<Integer> threads = Stream.of(1, Runtime.getRuntime().availableProcessors()).distinct().toList();
            for (int i = 0; i < args.length; i++) {
                String option = args[i];
                if (option.equals("--quick")) {
                    quick = true;
                    continue;
                }
                if (i + 1 == args.length) {
                    throw new IllegalArgumentException("unknown option or missing value: " + option);
                }
                List<String> values = list(args[++i]);
                switch (option) {
                    case "--shapes" -> {
                        values.forEach(GemmBenchmark.Shape::parse);
                        shapes = values;
                    }
                    case "--trans" -> transposes = values.stream()
                            .map(value -> value.toUpperCase(Locale.ROOT)).toList();
                    case "--threads" -> threads = values.stream().map(Settings::threadCount).distinct().toList();
                    case "--impls" -> implementations = values.stream()
                            .map(value -> value.toLowerCase(Locale.ROOT)).toList();
                    default -> throw new IllegalArgumentException("unknown option: " + option);
                }
            }
            for (String transpose : transposes) {
                if (!transpose.matches("[NT]{2}")) {
                    throw new IllegalArgumentException("--trans takes NN, NT, TN or TT, got '" + transpose + "'");
                }
            }
            return new Settings(quick, shapes, transposes, threads, implementations);
        }

        /** The benchmark's own {@code @Param} list, so the defaults live in one place. */
        private static List<String> defaults(String field) {
            try {
                return List.of(GemmBenchmark.class.getField(field).getAnnotation(Param.class).value());
            } catch (NoSuchFieldException e) {
                throw new IllegalStateException("GemmBenchmark has no @Param field " + field, e);
            }
        }

        private static List<String> list(String commaSeparated) {
            List<String> values = Arrays.stream(commaSeparated.split(",")).map(String::trim)
                    .filter(value -> !value.isEmpty()).distinct().toList();
            if (values.isEmpty()) {
                throw new IllegalArgumentException("empty list: '" + commaSeparated + "'");
            }
            return values;
        }

        private static int threadCount(String text) {
            try {
                int threads = Integer.parseInt(text);
                if (threads >= 1) {
                    return threads;
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--threads takes whole numbers >= 1, got '" + text + "'", e);
            }
            throw new IllegalArgumentException("--threads takes whole numbers >= 1, got '" + text + "'");
        }
    }
}
