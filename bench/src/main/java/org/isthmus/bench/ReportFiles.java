package org.isthmus.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.isthmus.kernels.BackendStatus;
import org.isthmus.kernels.Backends;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.style.Styler;

/**
 * What {@link BenchReport} writes: the results as JSON (Jackson), Markdown tables (one per op
 * family: rows are op, size and threads, columns the implementations, then the ratios) and one
 * PNG chart per family (XChart).
 *
 * <p>Ratios: every Isthmus backend to {@value #ONEDNN} when oneDNN is in the family's results;
 * for sgemm also to {@value GemmBenchmark#OPENBLAS}. Memory-bound families (GB/s) show, instead
 * of a {@value ReportedBenchmark#CEILING_OP} row, its GB/s from the same run as a column and each
 * backend's fraction of it.
 */
final class ReportFiles {

    static final String ONEDNN = "onednn";
    private static final String SCALAR = "scalar";
    /** The size label of a benchmark without a size parameter. */
    static final String NO_SIZE = "-";
    private static final int CHART_WIDTH = 1100;
    private static final int CHART_HEIGHT = 650;

    private ReportFiles() {
    }

    /** One benchmark's result. {@code rate} is in {@code unit}, from the median time per call. */
    record Measurement(String family, String op, String implementation, String size, int threads, String benchmark,
                       Map<String, String> params, String unit, double workPerCall, double medianMicrosPerCall,
                       double rate, int iterations) {
    }

    /** The machine line: CPU, cores, JDK, vector width, OS; and what Isthmus and OpenBLAS found. */
    record Machine(String cpu, int cores, String jdk, int vectorBits, String os, List<String> isthmusBackends,
                   List<String> backendDetails, String openblas) {

        static Machine describe() {
            List<String> names = new ArrayList<>();
            List<String> details = new ArrayList<>();
            int vectorBits = 0;
            for (BackendStatus status : Backends.available()) {
                details.add(status.name() + ": " + (status.available() ? "" : "unavailable, ") + status.detail());
                if (status.available()) {
                    names.add(status.name());
                    Matcher bits = Pattern.compile("(\\d+)-bit species").matcher(status.detail());
                    if (status.name().equals("vector") && bits.find()) {
                        vectorBits = Integer.parseInt(bits.group(1));
                    }
                }
            }
            String openblas;
            try {
                openblas = OpenBlas.load().config().trim();
            } catch (OpenBlas.UnavailableException e) {
                openblas = e.getMessage();
            }
            String jdk = Runtime.version() + " (" + System.getProperty("java.vm.vendor") + ")";
            String os = osName() + ", " + System.getProperty("os.name") + " " + System.getProperty("os.version")
                    + " " + System.getProperty("os.arch");
            return new Machine(cpuName(), Runtime.getRuntime().availableProcessors(), jdk, vectorBits, os,
                    List.copyOf(names), List.copyOf(details), openblas);
        }

        String line() {
            return String.format(Locale.ROOT, "%s, %d cores, JDK %s, Vector API %s, %s", cpu, cores, jdk,
                    vectorBits > 0 ? vectorBits + "-bit species" : "unavailable", os);
        }

        /** For file names: "amd-epyc-2c". */
        String slug() {
            String name = cpu.toLowerCase(Locale.ROOT).replaceAll("\\(r\\)|\\(tm\\)|cpu|processor", " ")
                    .replaceAll("[^a-z0-9]+", "-").replaceAll("^-|-$", "");
            return (name.isEmpty() ? "unknown-cpu" : name) + "-" + cores + "c";
        }

        private static String cpuName() {
            try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
                return lines.filter(line -> line.startsWith("model name")).map(line -> line.substring(line.indexOf(':') + 1).trim())
                        .findFirst().orElse(System.getProperty("os.arch"));
            } catch (IOException e) {
                return System.getProperty("os.arch") + " (no /proc/cpuinfo)";
            }
        }

        private static String osName() {
            try (Stream<String> lines = Files.lines(Path.of("/etc/os-release"))) {
                return lines.filter(line -> line.startsWith("PRETTY_NAME=")).map(line -> line.substring(12).replace("\"", ""))
                        .findFirst().orElse("unknown distribution");
            } catch (IOException e) {
                return "no /etc/os-release";
            }
        }
    }

    /** Everything one report run produced; {@code notes} say what was skipped and why. */
    record Report(String date, String profile, String command, long seconds, Machine machine,
                  List<Measurement> results, List<String> notes, List<String> missing) {

        String baseName() {
            return date + "-" + machine.slug() + (profile.equals("quick") ? "-quick" : "");
        }
    }

    /** Writes {@code <base>.json}, {@code <base>.md} and {@code <base>-<family>.png}; returns their paths. */
    static List<Path> write(Report report, Path folder) throws IOException {
        Files.createDirectories(folder);
        List<Path> written = new ArrayList<>();
        Path json = folder.resolve(report.baseName() + ".json");
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), report);
        written.add(json);
        Path markdown = folder.resolve(report.baseName() + ".md");
        Files.writeString(markdown, markdown(report));
        written.add(markdown);
        for (String family : families(report)) {
            Path chart = folder.resolve(report.baseName() + "-" + family + ".png");
            BitmapEncoder.saveBitmap(chart(report, family), chart.toString(), BitmapEncoder.BitmapFormat.PNG);
            written.add(chart);
        }
        return written;
    }

    static String markdown(Report report) {
        StringBuilder text = new StringBuilder();
        text.append("# Isthmus benchmark report, ").append(report.date()).append(" (").append(report.profile())
                .append(" profile)\n\n");
        text.append("- Machine: ").append(report.machine().line()).append('\n');
        text.append("- OpenBLAS: ").append(report.machine().openblas()).append('\n');
        text.append("- Command: `").append(report.command().trim()).append("` (").append(report.seconds() / 60)
                .append(" min ").append(report.seconds() % 60).append(" s)\n");
        text.append("- Each figure: the median iteration of JMH's AverageTime runs, as GFLOP/s or GB/s; every")
                .append(" result was checked against the scalar reference before it was timed. Ratios above 1: the")
                .append(" first one is faster. netlib, the Java loop and scalar run on one thread whatever the thread")
                .append(" count: with 1 thread among those run, they are in the 1-thread rows only.")
                .append(report.profile().equals("quick") ? " Quick profile: a smoke run, not numbers to quote"
                        + " (its settings are in the notes)." : "")
                .append("\n\n");
        for (String family : families(report)) {
            text.append(table(report, family)).append('\n');
        }
        if (!report.notes().isEmpty()) {
            text.append("Notes:\n\n");
            report.notes().forEach(note -> text.append("- ").append(note).append('\n'));
            text.append('\n');
        }
        if (!report.missing().isEmpty()) {
            text.append("No result (the benchmark failed its check or its setup):\n\n");
            report.missing().forEach(name -> text.append("- ").append(name).append('\n'));
            text.append('\n');
        }
        return text.toString();
    }

    private static String table(Report report, String family) {
        FamilyView view = FamilyView.of(report, family);
        StringBuilder text = new StringBuilder("## ").append(family).append(" (").append(view.unit()).append(")\n\n");
        StringBuilder header = new StringBuilder("| op | size | threads |");
        StringBuilder rule = new StringBuilder("| --- | --- | ---: |");
        for (String name : view.implementations()) {
            header.append(' ').append(name).append(" |");
            rule.append(" ---: |");
        }
        if (view.hasCeiling()) {
            header.append(" copy (same run) |");
            rule.append(" ---: |");
        }
        for (Ratio ratio : view.ratios()) {
            header.append(' ').append(ratio.label()).append(" |");
            rule.append(" ---: |");
        }
        text.append(header).append('\n').append(rule).append('\n');
        for (Row row : view.rows()) {
            text.append("| ").append(row.op()).append(" | ").append(row.size()).append(" | ").append(row.threads()).append(" |");
            for (String name : view.implementations()) {
                text.append(' ').append(format(view.rate(row, name), "%.1f")).append(" |");
            }
            if (view.hasCeiling()) {
                text.append(' ').append(format(view.ceiling(row), "%.1f")).append(" |");
            }
            for (Ratio ratio : view.ratios()) {
                text.append(' ').append(format(view.ratio(row, ratio), "%.2f")).append(" |");
            }
            text.append('\n');
        }
        return text.toString();
    }

    private static CategoryChart chart(Report report, String family) {
        FamilyView view = FamilyView.of(report, family);
        CategoryChart chart = new CategoryChartBuilder().width(CHART_WIDTH).height(CHART_HEIGHT)
                .title(family + ", " + report.date() + ", " + report.machine().cpu() + ", " + report.machine().cores()
                        + " cores (" + report.profile() + ")")
                .xAxisTitle("op, size, threads").yAxisTitle(view.unit()).build();
        chart.getStyler().setDefaultSeriesRenderStyle(CategorySeries.CategorySeriesRenderStyle.Line);
        chart.getStyler().setOverlapped(true); // every series at the same x positions, as lines over sizes
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setXAxisLabelRotation(30);
        chart.getStyler().setYAxisMin(0, 0.0);
        List<String> labels = view.rows().stream()
                .map(row -> row.op() + (row.size().equals(NO_SIZE) ? "" : " " + row.size()) + " " + row.threads() + "t")
                .toList();
        for (String name : view.implementations()) {
            chart.addSeries(name, labels, view.rows().stream().map(row -> view.rate(row, name)).toList());
        }
        if (view.hasCeiling()) {
            chart.addSeries("copy (same run)", labels, view.rows().stream().map(view::ceiling).toList());
        }
        List<Ratio> oneDnnRatios = view.ratios().stream().filter(ratio -> ratio.baseline().equals(ONEDNN)).toList();
        for (Ratio ratio : oneDnnRatios) {
            chart.addSeries(ratio.label(), labels, view.rows().stream().map(row -> view.ratio(row, ratio)).toList())
                    .setYAxisGroup(1);
        }
        if (!oneDnnRatios.isEmpty()) {
            chart.setYAxisGroupTitle(1, "ratio to oneDNN");
            chart.getStyler().setYAxisGroupPosition(1, Styler.YAxisPosition.Right);
        }
        return chart;
    }

    private static String format(Double value, String pattern) {
        return value == null ? "n/a" : String.format(Locale.ROOT, pattern, value);
    }

    private static List<String> families(Report report) {
        return report.results().stream().map(Measurement::family).distinct().toList();
    }

    /** One table row. */
    private record Row(String op, String size, int threads) {
    }

    /** An op label's method or op parameter: "softmax" of "softmax native". */
    private static String name(String op) {
        int space = op.indexOf(' ');
        return space < 0 ? op : op.substring(0, space);
    }

    /** The values of the op's other parameters, as the label appends them: " native" of "softmax native". */
    private static String qualifier(String op) {
        return op.substring(name(op).length());
    }

    /** A ratio column: {@code implementation} / {@code baseline} ("copy" for the ceiling). */
    private record Ratio(String implementation, String baseline) {
        String label() {
            return implementation + "/" + baseline;
        }
    }

    /** A family's results arranged as rows × implementations, with its ratio columns. */
    private record FamilyView(String unit, List<Row> rows, List<String> implementations, List<Ratio> ratios,
                              Map<Row, Map<String, Double>> rates, Map<Row, Double> ceilings) {

        static FamilyView of(Report report, String family) {
            List<Measurement> results = report.results().stream().filter(m -> m.family().equals(family)).toList();
            String unit = results.getFirst().unit();
            Map<Row, Map<String, Double>> rates = new LinkedHashMap<>();
            Map<Row, List<Double>> ceilingRuns = new LinkedHashMap<>();
            Set<String> implementations = new LinkedHashSet<>();
            for (Measurement m : results) {
                if (name(m.op()).equals(ReportedBenchmark.CEILING_OP)) {
                    ceilingRuns.computeIfAbsent(new Row(qualifier(m.op()), m.size(), m.threads()),
                            row -> new ArrayList<>()).add(m.rate());
                    continue;
                }
                implementations.add(m.implementation());
                rates.computeIfAbsent(new Row(m.op(), m.size(), m.threads()), row -> new LinkedHashMap<>())
                        .put(m.implementation(), m.rate());
            }
            Map<Row, Double> ceilings = new LinkedHashMap<>();
            // The copy ran once per implementation parameter: the same memcpy, so their median.
            ceilingRuns.forEach((row, runs) -> ceilings.put(row, runs.stream().sorted().toList().get(runs.size() / 2)));
            List<String> backends = implementations.stream()
                    .filter(name -> report.machine().isthmusBackends().contains(name) && !name.equals(SCALAR)).toList();
            List<String> baselines = new ArrayList<>();
            if (implementations.contains(ONEDNN)) {
                baselines.add(ONEDNN);
            }
            if (family.equals("gemm") && implementations.contains(GemmBenchmark.OPENBLAS)) {
                baselines.add(GemmBenchmark.OPENBLAS);
            }
            if (!ceilings.isEmpty()) {
                baselines.add(ReportedBenchmark.CEILING_OP);
            }
            List<Ratio> ratios = new ArrayList<>();
            for (String baseline : baselines) {
                for (String backend : backends) {
                    if (!backend.equals(baseline)) {
                        ratios.add(new Ratio(backend, baseline));
                    }
                }
            }
            return new FamilyView(unit, List.copyOf(rates.keySet()), List.copyOf(implementations), ratios, rates,
                    ceilings);
        }

        boolean hasCeiling() {
            return !ceilings.isEmpty();
        }

        Double rate(Row row, String implementation) {
            return rates.get(row).get(implementation);
        }

        /** The copy that ran with the same other parameters as the row's op ("softmax native": "copy native"). */
        Double ceiling(Row row) {
            return ceilings.get(new Row(qualifier(row.op()), row.size(), row.threads()));
        }

        Double ratio(Row row, Ratio ratio) {
            Double value = rate(row, ratio.implementation());
            Double baseline = ratio.baseline().equals(ReportedBenchmark.CEILING_OP) ? ceiling(row)
                    : rate(row, ratio.baseline());
            return value == null || baseline == null ? null : value / baseline;
        }
    }
}
