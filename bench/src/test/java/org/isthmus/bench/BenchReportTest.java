package org.isthmus.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Which JMH runs the report makes: the selection logic alone, nothing is run. */
class BenchReportTest {

    private static final List<String> ROWWISE_METHODS = List.of("copy", "layerNorm", "layerNormBackward",
            "logSoftmax", "loopCopy", "softmax", "softmaxBackward");

    @Test
    void quickAddsEveryAvailableBackendButCrossoverAndScalarUnlessDeclared() {
        List<String> available = List.of("crossover", "vector", "onednn", "scalar");

        assertEquals(List.of("vector", "onednn", "scalar"),
                BenchReport.withAvailableBackends(List.of("vector", "scalar"), available, true));
        assertEquals(List.of("crossover", "vector", "onednn", "scalar"),
                BenchReport.withAvailableBackends(List.of("vector", "scalar"), available, false));
        assertEquals(List.of("crossover", "vector", "onednn", "openblas"),
                BenchReport.withAvailableBackends(List.of("vector", "openblas"), available, false));
    }

    @Test
    void quickRunsTheRowwiseForwardKernelsAndTheCopyOnly() {
        assertEquals(List.of("copy", "layerNorm", "logSoftmax", "softmax"),
                BenchReport.methods(ROWWISE_METHODS, new RowwiseBenchmark(), true));
        assertEquals(ROWWISE_METHODS, BenchReport.methods(ROWWISE_METHODS, new RowwiseBenchmark(), false));
        assertEquals(List.of("sgemm"), BenchReport.methods(List.of("sgemm"), new GemmBenchmark(), true));
    }

    @Test
    void aQuickMethodThatIsNoBenchmarkIsAnError() {
        assertThrows(IllegalStateException.class,
                () -> BenchReport.methods(List.of("softmax", "copy"), new RowwiseBenchmark(), true));
    }

    @Test
    void oneThreadPeersOnlyInTheOneThreadRowsAndSlowPeersNotAtTheBigSizes() {
        Map<String, List<String>> params = params("implementation", List.of("vector", "netlib", "ejml", "javaloop"),
                "shape", List.of("1024", "2048"), "transpose", List.of("NN"));
        Map<String, Integer> leftOut = new LinkedHashMap<>();

        List<BenchReport.Combination> oneThread = BenchReport.select(new GemmBenchmark(), List.of("sgemm"), params, 1,
                List.of(1, 2), leftOut);
        List<BenchReport.Combination> twoThreads = BenchReport.select(new GemmBenchmark(), List.of("sgemm"), params, 2,
                List.of(1, 2), leftOut);
        List<BenchReport.Combination> twoThreadsAlone = BenchReport.select(new GemmBenchmark(), List.of("sgemm"),
                params, 2, List.of(2), new LinkedHashMap<>());

        assertEquals(List.of("vector 1024", "vector 2048", "netlib 1024", "netlib 2048", "ejml 1024", "javaloop 1024"),
                gemmLabels(oneThread));
        assertEquals(List.of("vector 1024", "vector 2048", "ejml 1024"), gemmLabels(twoThreads));
        assertEquals(List.of("vector 1024", "vector 2048", "netlib 1024", "netlib 2048", "ejml 1024", "javaloop 1024"),
                gemmLabels(twoThreadsAlone));
        assertEquals(Map.of(
                "GemmBenchmark: ejml and javaloop at m·n·k >= 2048³ (seconds a call)", 3,
                "GemmBenchmark: javaloop, netlib, scalar run on one thread whatever -Disthmus.threads: only in the"
                        + " 1-thread rows", 4), leftOut);
    }

    @Test
    void theCopyRunsOncePerSizeOnTheFirstImplementationNotLeftOut() {
        Map<String, List<String>> params = params("backend", List.of("onednn", "vector", "scalar"),
                "op", List.of("copy", "relu"));
        Map<String, Integer> leftOut = new LinkedHashMap<>();

        List<BenchReport.Combination> selected = BenchReport.select(new ElementwiseBenchmark(), List.of("run"), params,
                1, List.of(1), leftOut);

        assertEquals(List.of(Map.of("backend", "vector", "op", "copy"), Map.of("backend", "vector", "op", "relu"),
                Map.of("backend", "scalar", "op", "relu")), selected.stream().map(BenchReport.Combination::params).toList());
        assertEquals(Map.of("ElementwiseBenchmark: onednn and crossover run these ops on vector's kernels", 2,
                "ElementwiseBenchmark: copy run with one implementation only: the same code whatever the implementation",
                1), leftOut);

        Map<String, Integer> rowwiseLeftOut = new LinkedHashMap<>();
        List<BenchReport.Combination> rowwise = BenchReport.select(new RowwiseBenchmark(), List.of("copy", "softmax"),
                params("backend", List.of("vector", "onednn"), "shape", List.of("4096x1024", "65536x128")), 1,
                List.of(1), rowwiseLeftOut);
        assertEquals(List.of("copy vector 4096x1024", "copy vector 65536x128", "softmax vector 4096x1024",
                        "softmax vector 65536x128", "softmax onednn 4096x1024", "softmax onednn 65536x128"),
                rowwise.stream().map(c -> c.method() + " " + c.params().get("backend") + " " + c.params().get("shape"))
                        .toList());
        assertEquals(Set.of("RowwiseBenchmark: copy, loopCopy run with one implementation only: the same code whatever"
                + " the implementation"), rowwiseLeftOut.keySet());
    }

    private static List<String> gemmLabels(List<BenchReport.Combination> combinations) {
        return combinations.stream()
                .map(c -> c.params().get("implementation") + " " + c.params().get("shape")).toList();
    }

    /** Parameters in the order given, as the report keeps them (the class's field order). */
    private static Map<String, List<String>> params(Object... namesAndValues) {
        Map<String, List<String>> params = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            @SuppressWarnings("unchecked")
            List<String> values = (List<String>) namesAndValues[i + 1];
            params.put((String) namesAndValues[i], values);
        }
        return params;
    }
}
