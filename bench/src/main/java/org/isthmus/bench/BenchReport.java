package org.isthmus.bench;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.isthmus.kernels.BackendStatus;
import org.isthmus.kernels.Backends;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * The side-by-side report: runs every JMH benchmark class that implements
 * {@link ReportedBenchmark} (found in JMH's generated benchmark list, so a new op family joins
 * by implementing it), once per thread count, with every available Isthmus backend and the
 * class's peers, and writes {@code <date>-<machine>[-quick].json}, {@code .md} and one PNG chart
 * per family ({@link ReportFiles}). Each number is the median iteration over all forks,
 * turned into GFLOP/s or GB/s by the class's {@link ReportedBenchmark#work}.
 *
 * <p>JMH forks inherit this JVM's flags (its default {@code jvmArgs} are this JVM's input
 * arguments), so this JVM must itself be started with {@code isthmus.jvm.flags} from the parent
 * pom; {@code bench/report.sh} does that.
 */
public final class BenchReport {

    private static final String USAGE = """
            usage: report.sh [--quick] [--plan] [--only gemm,rowwise] [--threads 1,2] [--param name=v1,v2]... [--out dir]
              --quick    each family's quick sizes and ops (sgemm 1024 and 128x256x784 with every peer,
                         conv2d's three passes on 64x32x14x14-64, softmax/logSoftmax/layerNorm 4096x1024,
                         a few elementwise and pooling ops), no crossover or scalar column, 1 thread,
                         1 fork, 2 x 1 s warm-up, 5 x 0.3 s: about 30 runs, 4 minutes on 2 cores
                         (without --quick: every size, op and backend, 1 and all threads, 1 fork,
                         2 x 1 s warm-up, 5 x 0.5 s: about 300 runs, 40 minutes on 2 cores)
              --plan     list the JMH runs and the time they would take; run nothing
              --only     op families to run (default: every class implementing ReportedBenchmark)
              --threads  thread counts, one JMH run each (default: 1 with --quick, else 1 and all cores)
              --param    JMH @Param values for every family that has the parameter, e.g.
                         --param shape=1024,128x256x784 --param transpose=NN,NT --param implementation=vector,openblas
              --out      folder for the .json, .md and .png files (default: bench/results)
            Left out whatever is asked (the report's notes count them): a one-thread implementation (scalar,
            netlib, the Java loop) at more threads when 1 thread also runs; the copy on more than one
            implementation (the same code for each); what a family leaves out itself (gemm: ejml and the
            Java loop at 2048^3, seconds a call; elementwise and pooling: onednn and crossover, which run
            vector's kernels for those ops).""";
    private static final List<String> IMPLEMENTATION_PARAMS = List.of("implementation", "backend");
    private static final String SCALAR = "scalar";
    /** The backend auto picks, per op and size from its table: its rows repeat vector's or onednn's. */
    private static final String CROSSOVER = "crossover";
    private static final String GEMM_FAMILY = "gemm";

    private BenchReport() {
    }

    public static void main(String[] args) throws RunnerException, IOException {
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

        Instant start = Instant.now();
        ReportFiles.Machine machine = ReportFiles.Machine.describe();
        System.out.println(Backends.describe());
        System.out.println(machine.line());
        List<String> notes = new ArrayList<>();
        Map<String, Class<? extends ReportedBenchmark>> families = discover(settings, notes);
        String openMpThreads = System.getenv("OMP_NUM_THREADS");
        if (openMpThreads != null) {
            notes.add("OMP_NUM_THREADS=" + openMpThreads + " in the environment (OpenMP libraries such as oneDNN read it).");
        }
        String openBlasCore = System.getenv("OPENBLAS_CORETYPE");
        if (openBlasCore != null) {
            notes.add("OPENBLAS_CORETYPE=" + openBlasCore + " in the environment: OpenBLAS runs that core's kernels instead"
                    + " of its own pick for this CPU (unset it to compare against OpenBLAS's best).");
        }
        Timing timing = settings.quick() ? Timing.QUICK : Timing.FULL;
        List<PlannedRun> plan = plan(families.values(), settings, notes);
        notes.add((settings.quick() ? "Quick profile: " : "Full profile: ") + timing.describe()
                + (settings.quick() ? "; each family's quick sizes and ops." : "; every size and op."));
        notes.forEach(System.out::println);
        System.out.println("Families: " + families.keySet() + ", threads per run: " + settings.threads()
                + " (-Disthmus.threads; OpenBLAS and EJML set to match)");
        System.out.printf(Locale.ROOT, "%d JMH runs, about %.0f min%n%n", plan.size(),
                plan.size() * timing.secondsPerRun() / 60);
        if (settings.planOnly()) {
            plan.forEach(planned -> System.out.println(planned.type().getSimpleName() + "."
                    + planned.combination().method() + " " + planned.combination().params() + ", "
                    + planned.threads() + " thread(s)"));
            return;
        }

        List<ReportFiles.Measurement> measurements = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (int i = 0; i < plan.size(); i++) {
            PlannedRun planned = plan.get(i);
            System.out.printf(Locale.ROOT, "%n# Report run %d of %d: %s.%s %s, %d thread(s)%n", i + 1, plan.size(),
                    planned.type().getSimpleName(), planned.combination().method(), planned.combination().params(),
                    planned.threads());
            Collection<RunResult> runs = new Runner(options(planned, timing)).run();
            List<ReportFiles.Measurement> found = runs.stream()
                    .map(run -> measurement(planned.type(), run, planned.threads())).toList();
            measurements.addAll(found);
            if (found.isEmpty()) {
                missing.add(planned.type().getSimpleName() + "." + planned.combination().method() + " "
                        + planned.combination().params() + " threads=" + planned.threads());
            }
        }

        Duration took = Duration.between(start, Instant.now());
        String date = LocalDate.now(ZoneOffset.UTC).toString();
        ReportFiles.Report report = new ReportFiles.Report(date, settings.quick() ? "quick" : "full",
                "bench/report.sh " + String.join(" ", settings.arguments()), took.toSeconds(), machine,
                measurements, notes, missing);
        List<Path> written = ReportFiles.write(report, settings.out());
        System.out.println();
        System.out.println(ReportFiles.markdown(report));
        System.out.println("Took " + took.toMinutesPart() + " min " + took.toSecondsPart() + " s. Wrote:");
        written.forEach(path -> System.out.println("  " + path));
        if (!missing.isEmpty()) {
            System.out.println(missing.size() + " benchmark(s) produced no result (the JMH log above says why): "
                    + missing);
            System.exit(1);
        }
    }

    /** Every run of every family at every thread count, in that order; notes what was left out and why. */
    private static List<PlannedRun> plan(Collection<Class<? extends ReportedBenchmark>> families, Settings settings,
                                         List<String> notes) {
        List<PlannedRun> plan = new ArrayList<>();
        Map<String, Integer> leftOut = new LinkedHashMap<>();
        for (Class<? extends ReportedBenchmark> type : families) {
            Map<String, List<String>> params = params(type, settings, notes);
            if (params.values().stream().anyMatch(List::isEmpty)) {
                notes.add(type.getSimpleName() + ": nothing left to run (" + params + "); skipped");
                continue;
            }
            ReportedBenchmark benchmark = instantiate(type);
            List<String> methods = methods(benchmarkMethods(type), benchmark, settings.quick());
            for (int threads : settings.threads()) {
                select(benchmark, methods, params, threads, settings.threads(), leftOut)
                        .forEach(combination -> plan.add(new PlannedRun(type, combination, threads)));
            }
        }
        leftOut.forEach((reason, count) -> notes.add(reason + " (" + count + (count == 1 ? " run" : " runs")
                + " left out)"));
        return plan;
    }

    /** Every benchmark class in JMH's list that implements ReportedBenchmark, keyed by family, gemm first. */
    private static Map<String, Class<? extends ReportedBenchmark>> discover(Settings settings, List<String> notes) {
        Set<String> classNames = new TreeSet<>();
        BenchmarkList.defaultList()
                .getAll(OutputFormatFactory.createFormatInstance(System.out, VerboseMode.SILENT), List.of())
                .forEach(entry -> classNames.add(entry.getUserClassQName()));
        Map<String, Class<? extends ReportedBenchmark>> families = new TreeMap<>(
                Comparator.comparing((String family) -> !family.equals(GEMM_FAMILY)).thenComparing(family -> family));
        for (String className : classNames) {
            Class<?> type;
            try {
                type = Class.forName(className);
            } catch (ClassNotFoundException e) {
                notes.add(className + " is in JMH's list but not on the class path; skipped");
                continue;
            }
            if (!ReportedBenchmark.class.isAssignableFrom(type)) {
                notes.add(type.getSimpleName() + " does not implement ReportedBenchmark (no work per call to turn"
                        + " times into GFLOP/s or GB/s): not in the report");
                continue;
            }
            Class<? extends ReportedBenchmark> reported = type.asSubclass(ReportedBenchmark.class);
            String family = instantiate(reported).family();
            if (settings.only().isEmpty() || settings.only().contains(family)) {
                families.put(family, reported);
            }
        }
        for (String wanted : settings.only()) {
            if (!families.containsKey(wanted)) {
                notes.add("no benchmark class for family '" + wanted + "': skipped");
            }
        }
        return families;
    }

    /**
     * Every {@code @Param} of the class with the values to run: --param's, else --quick's, else
     * the class's own; the implementation list gains every available Isthmus backend but the
     * scalar reference (and, in a quick report, crossover), and loses what cannot run here (with a note).
     */
    private static Map<String, List<String>> params(Class<? extends ReportedBenchmark> type, Settings settings,
                                                    List<String> notes) {
        Map<String, List<String>> quick = settings.quick() ? instantiate(type).quickParams() : Map.of();
        Set<String> available = new LinkedHashSet<>();
        Backends.available().stream().filter(BackendStatus::available).forEach(status -> available.add(status.name()));
        Map<String, List<String>> chosen = new LinkedHashMap<>();
        for (Field field : paramFields(type)) {
            String name = field.getName();
            List<String> values = settings.params().get(name);
            if (values == null) {
                values = quick.getOrDefault(name, List.of(field.getAnnotation(Param.class).value()));
                if (IMPLEMENTATION_PARAMS.contains(name)) {
                    values = withAvailableBackends(values, available, settings.quick());
                    if (settings.quick() && available.contains(CROSSOVER) && !values.contains(CROSSOVER)) {
                        addOnce(notes, "Quick profile: no crossover column (auto's pick per op and size: its rows would"
                                + " repeat vector's or onednn's); the full profile has it.");
                    }
                }
            }
            if (IMPLEMENTATION_PARAMS.contains(name)) {
                values = runnable(type.getSimpleName(), values, notes);
            }
            chosen.put(name, values);
        }
        return chosen;
    }

    /**
     * The available Isthmus backends first (in priority order) but the scalar reference and, in a
     * quick report, crossover, unless the class declares them; then the peers the class names.
     */
    static List<String> withAvailableBackends(List<String> declared, Collection<String> available, boolean quick) {
        Set<String> ordered = new LinkedHashSet<>();
        for (String name : available) {
            boolean leftOut = name.equals(SCALAR) || quick && name.equals(CROSSOVER);
            if (declared.contains(name) || !leftOut) {
                ordered.add(name);
            }
        }
        ordered.addAll(declared);
        return List.copyOf(ordered);
    }

    /** The class's {@code @Benchmark} methods, or in a quick report those of its quick methods. */
    static List<String> methods(List<String> benchmarkMethods, ReportedBenchmark benchmark, boolean quick) {
        Set<String> quickMethods = benchmark.quickMethods();
        if (!quick || quickMethods.isEmpty()) {
            return benchmarkMethods;
        }
        List<String> unknown = quickMethods.stream().filter(name -> !benchmarkMethods.contains(name)).sorted().toList();
        if (!unknown.isEmpty()) {
            throw new IllegalStateException(benchmark.getClass().getSimpleName() + ".quickMethods() names " + unknown
                    + ", which are not among its @Benchmark methods " + benchmarkMethods);
        }
        return benchmarkMethods.stream().filter(quickMethods::contains).toList();
    }

    /**
     * Every combination of method and parameter values at this thread count, less those left out:
     * a one-thread implementation at more threads when {@code allThreads} also has 1, what the
     * class's {@link ReportedBenchmark#skipReason} names, and an implementation-independent op on
     * any implementation but the first one left. {@code leftOut} counts them by reason.
     */
    static List<Combination> select(ReportedBenchmark benchmark, List<String> methods,
                                    Map<String, List<String>> params, int threads, List<Integer> allThreads,
                                    Map<String, Integer> leftOut) {
        String className = benchmark.getClass().getSimpleName();
        String implementationParam = IMPLEMENTATION_PARAMS.stream().filter(params::containsKey).findFirst()
                .orElse(null);
        Set<Combination> independentOpsRun = new LinkedHashSet<>();
        List<Combination> selected = new ArrayList<>();
        for (String method : methods) {
            for (Map<String, String> values : crossProduct(params)) {
                String implementation = implementationParam == null ? null : values.get(implementationParam);
                String reason;
                boolean oneThreadRepeat = threads > 1 && allThreads.contains(1) && implementation != null
                        && benchmark.oneThreadImplementations().contains(implementation);
                if (oneThreadRepeat) {
                    reason = String.join(", ", new TreeSet<>(benchmark.oneThreadImplementations()))
                            + " run on one thread whatever -Disthmus.threads: only in the 1-thread rows";
                } else {
                    reason = benchmark.skipReason(method, values).orElse(null);
                }
                String op = Labels.first(values, Labels.OP_PARAMS, method);
                if (reason == null && implementation != null && benchmark.implementationIndependentOps().contains(op)) {
                    Map<String, String> others = new LinkedHashMap<>(values);
                    others.remove(implementationParam);
                    if (!independentOpsRun.add(new Combination(method, others))) {
                        reason = String.join(", ", new TreeSet<>(benchmark.implementationIndependentOps()))
                                + " run with one implementation only: the same code whatever the implementation";
                    }
                }
                if (reason == null) {
                    selected.add(new Combination(method, values));
                } else {
                    leftOut.merge(className + ": " + reason, 1, Integer::sum);
                }
            }
        }
        return selected;
    }

    /** Every map with one value per parameter, in the parameters' order. */
    private static List<Map<String, String>> crossProduct(Map<String, List<String>> params) {
        List<Map<String, String>> combinations = List.of(Map.of());
        for (Map.Entry<String, List<String>> param : params.entrySet()) {
            List<Map<String, String>> next = new ArrayList<>();
            for (Map<String, String> partial : combinations) {
                for (String value : param.getValue()) {
                    Map<String, String> extended = new LinkedHashMap<>(partial);
                    extended.put(param.getKey(), value);
                    next.add(Collections.unmodifiableMap(extended));
                }
            }
            combinations = next;
        }
        return combinations;
    }

    private static void addOnce(List<String> notes, String note) {
        if (!notes.contains(note)) {
            notes.add(note);
        }
    }

    private static List<String> runnable(String className, List<String> implementations, List<String> notes) {
        Map<String, BackendStatus> backends = new LinkedHashMap<>();
        Backends.available().forEach(status -> backends.put(status.name(), status));
        List<String> kept = new ArrayList<>();
        for (String name : implementations) {
            BackendStatus backend = backends.get(name);
            boolean usable = backend != null ? backend.available()
                    : !name.equals(GemmBenchmark.OPENBLAS) || openBlasAvailable(notes, className);
            if (backend != null && !usable) {
                notes.add(className + ": backend " + name + " skipped, unavailable: " + backend.detail());
            }
            if (usable) {
                kept.add(name);
            }
        }
        return kept;
    }

    private static boolean openBlasAvailable(List<String> notes, String className) {
        try {
            OpenBlas blas = OpenBlas.load();
            addOnce(notes, "OpenBLAS: " + blas.config().trim() + " (" + blas.location() + ")");
            return true;
        } catch (OpenBlas.UnavailableException e) {
            notes.add(className + ": openblas skipped. " + e.getMessage());
            return false;
        }
    }

    private static org.openjdk.jmh.runner.options.Options options(PlannedRun planned, Timing timing) {
        ChainedOptionsBuilder builder = new OptionsBuilder()
                .include("^" + Pattern.quote(planned.type().getName() + "." + planned.combination().method()) + "$")
                .jvmArgsAppend("-Disthmus.threads=" + planned.threads())
                .forks(1)
                .warmupIterations(timing.warmups()).warmupTime(TimeValue.milliseconds(timing.warmupMillis()))
                .measurementIterations(timing.measurements())
                .measurementTime(TimeValue.milliseconds(timing.measurementMillis()));
        planned.combination().params().forEach(builder::param);
        return builder.build();
    }

    /** One JMH result as a report row: labels from the params, rate from the median iteration. */
    private static ReportFiles.Measurement measurement(Class<? extends ReportedBenchmark> type, RunResult run,
                                                      int threads) {
        BenchmarkParams params = run.getParams();
        if (params.getMode() != Mode.AverageTime) {
            throw new IllegalStateException(type.getSimpleName() + " must run in AverageTime mode, not "
                    + params.getMode());
        }
        String method = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1);
        Map<String, String> values = new LinkedHashMap<>();
        params.getParamsKeys().forEach(key -> values.put(key, params.getParam(key)));
        ReportedBenchmark instance = instantiate(type);
        setParams(instance, values);
        ReportedBenchmark.Work work = instance.work(method);

        double[] scores = run.getBenchmarkResults().stream()
                .flatMap(fork -> fork.getIterationResults().stream())
                .mapToDouble(iteration -> iteration.getPrimaryResult().getScore())
                .sorted()
                .toArray();
        int middle = scores.length / 2;
        double median = scores.length % 2 == 1 ? scores[middle] : (scores[middle - 1] + scores[middle]) / 2;
        double seconds = median * params.getTimeUnit().toNanos(1) / 1e9;
        Labels labels = Labels.of(method, values);
        return new ReportFiles.Measurement(instance.family(), labels.op(), labels.implementation(), labels.size(),
                threads, params.getBenchmark(), values, work.unit().rate(), work.amount(), seconds * 1e6,
                work.rate(seconds), scores.length);
    }

    private static List<String> benchmarkMethods(Class<?> type) {
        return Arrays.stream(type.getMethods())
                .filter(method -> method.isAnnotationPresent(org.openjdk.jmh.annotations.Benchmark.class))
                .map(java.lang.reflect.Method::getName).sorted().toList();
    }

    private static List<Field> paramFields(Class<?> type) {
        return Arrays.stream(type.getFields()).filter(field -> field.isAnnotationPresent(Param.class)).toList();
    }

    private static ReportedBenchmark instantiate(Class<? extends ReportedBenchmark> type) {
        try {
            return type.getDeclaredConstructor().newInstance();
        } catch (InstantiationException | IllegalAccessException | NoSuchMethodException e) {
            throw new IllegalStateException(type.getName() + " needs a public no-argument constructor, as JMH does", e);
        } catch (InvocationTargetException e) {
            throw new IllegalStateException(type.getName() + "'s constructor failed", e.getCause());
        }
    }

    private static void setParams(ReportedBenchmark instance, Map<String, String> values) {
        for (Field field : paramFields(instance.getClass())) {
            String value = values.get(field.getName());
            if (value == null) {
                continue;
            }
            if (field.getType() != String.class) {
                throw new IllegalStateException(instance.getClass().getSimpleName() + "." + field.getName()
                        + ": the report reads String @Param fields only, not " + field.getType());
            }
            try {
                field.set(instance, value);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException("cannot set " + field, e);
            }
        }
    }

    /** Null when this JVM has the flags its forks need, else what to do about it. */
    private static String missingJvmFlags() {
        boolean vector = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        boolean nativeAccess = BenchReport.class.getModule().isNativeAccessEnabled();
        if (vector && nativeAccess) {
            return null;
        }
        return "This JVM lacks " + (vector ? "" : "--add-modules jdk.incubator.vector ")
                + (nativeAccess ? "" : "--enable-native-access=ALL-UNNAMED ")
                + "and JMH forks inherit its flags: run bench/report.sh, which starts it with the parent pom's"
                + " isthmus.jvm.flags.";
    }

    /** One JMH run of the report: a {@code @Benchmark} method with one value for each {@code @Param}. */
    record Combination(String method, Map<String, String> params) {
    }

    private record PlannedRun(Class<? extends ReportedBenchmark> type, Combination combination, int threads) {
    }

    /**
     * A profile's JMH settings: one fork (the report makes hundreds of short runs; a fork per run
     * still keeps one implementation's JIT profile out of the next one's).
     */
    private record Timing(int warmups, int warmupMillis, int measurements, int measurementMillis) {

        /**
         * vector sgemm took up to 2.5 s to settle under load (quick report, 2026-11-21): 2 s of warm-up,
         * then 5 samples, whose median stands when the first two are still slow.
         */
        static final Timing QUICK = new Timing(2, 1000, 5, 300);
        static final Timing FULL = new Timing(2, 1000, 5, 500);
        /**
         * JVM start, backend loading, setup and the check against the scalar reference, per run: 2.8 s,
         * and 1.4 s more where oneDNN loads (quick report and full pooling report, 2026-11-21).
         */
        private static final double START_SECONDS = 3.4;

        double secondsPerRun() {
            return (warmups * warmupMillis + measurements * measurementMillis) / 1e3 + START_SECONDS;
        }

        String describe() {
            return String.format(Locale.ROOT, "1 fork, %d x %.1f s warm-up, %d x %.1f s measurement per run",
                    warmups, warmupMillis / 1e3, measurements, measurementMillis / 1e3);
        }
    }

    /** A result's column (implementation), row label (op and size), by the conventions of {@link ReportedBenchmark}. */
    private record Labels(String op, String implementation, String size) {

        private static final List<String> SIZE_PARAMS = List.of("shape", "layer", "size");
        private static final List<String> OP_PARAMS = List.of("op", "pass");

        static Labels of(String method, Map<String, String> params) {
            String implementation = first(params, IMPLEMENTATION_PARAMS, "?");
            String size = first(params, SIZE_PARAMS, ReportFiles.NO_SIZE);
            StringBuilder op = new StringBuilder(first(params, OP_PARAMS, method));
            params.forEach((name, value) -> {
                if (!IMPLEMENTATION_PARAMS.contains(name) && !SIZE_PARAMS.contains(name) && !OP_PARAMS.contains(name)) {
                    op.append(' ').append(value);
                }
            });
            return new Labels(op.toString(), implementation, size);
        }

        private static String first(Map<String, String> params, List<String> names, String otherwise) {
            return names.stream().map(params::get).filter(value -> value != null).findFirst().orElse(otherwise);
        }
    }

    private record Settings(boolean quick, boolean planOnly, List<String> only, List<Integer> threads,
                            Map<String, List<String>> params, Path out, List<String> arguments) {

        static Settings parse(String[] args) {
            boolean quick = false;
            boolean planOnly = false;
            List<String> only = List.of();
            List<Integer> threads = null;
            Map<String, List<String>> params = new LinkedHashMap<>();
            Path out = Path.of("bench", "results");
            List<String> arguments = new ArrayList<>();
            for (int i = 0; i < args.length; i++) {
                String option = args[i];
                if (option.equals("--quick")) {
                    quick = true;
                    arguments.add(option);
                    continue;
                }
                if (option.equals("--plan")) {
                    planOnly = true;
                    continue;
                }
                if (i + 1 == args.length) {
                    throw new IllegalArgumentException("unknown option or missing value: " + option);
                }
                String value = args[++i];
                switch (option) {
                    case "--only" -> only = list(value).stream().map(v -> v.toLowerCase(Locale.ROOT)).toList();
                    case "--threads" -> threads = list(value).stream().map(Settings::threadCount).distinct().toList();
                    case "--param" -> {
                        int equals = value.indexOf('=');
                        if (equals < 1) {
                            throw new IllegalArgumentException("--param takes name=v1,v2, got '" + value + "'");
                        }
                        params.put(value.substring(0, equals), list(value.substring(equals + 1)));
                    }
                    case "--out" -> {
                        out = Path.of(value);
                        continue; // where the files go is not part of the command that made them
                    }
                    default -> throw new IllegalArgumentException("unknown option: " + option);
                }
                arguments.add(option);
                arguments.add(value);
            }
            if (threads == null) {
                threads = quick ? List.of(1) : Stream.of(1, Runtime.getRuntime().availableProcessors()).distinct().toList();
            }
            return new Settings(quick, planOnly, only, threads, params, out, List.copyOf(arguments));
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
