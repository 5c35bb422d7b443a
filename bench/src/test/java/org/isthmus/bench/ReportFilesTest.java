package org.isthmus.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportFilesTest {

    private static final ReportFiles.Machine MACHINE = new ReportFiles.Machine("AMD EPYC", 2, "25", 256, "Debian",
            List.of("onednn", "vector", "scalar"), List.of(), "OpenBLAS 0.3.21");

    @Test
    void ratiosToOneDnnAndOpenBlasForGemmAndToTheSameRunCopyForMemoryBoundOps(@TempDir Path folder) throws IOException {
        ReportFiles.Report report = new ReportFiles.Report("2026-11-21", "quick", "bench/report.sh --quick", 75, MACHINE,
                List.of(gemm("vector", 60), gemm("onednn", 80), gemm("openblas", 75), gemm("javaloop", 3),
                        rowwise("softmax", "vector", 8), rowwise("copy", "vector", 10), rowwise("copy", "scalar", 12),
                        rowwise("copy", "onednn", 11), rowwise("softmax", "scalar", 1)),
                List.of("ConvBenchmark: skipped"), List.of());

        String markdown = ReportFiles.markdown(report);

        assertTrue(markdown.contains("| op | size | threads | vector | onednn | openblas | javaloop | vector/onednn "
                + "| vector/openblas |"), markdown);
        assertTrue(markdown.contains("| sgemm NN | 1024 | 1 | 60.0 | 80.0 | 75.0 | 3.0 | 0.75 | 0.80 |"), markdown);
        // copy is a column (the median of its runs), not a row; scalar gets no ratio column
        assertTrue(markdown.contains("| op | size | threads | vector | scalar | copy (same run) | vector/copy |"), markdown);
        assertTrue(markdown.contains("| softmax | 4096x1024 | 1 | 8.0 | 1.0 | 11.0 | 0.73 |"), markdown);
        assertTrue(markdown.contains("- ConvBenchmark: skipped"), markdown);

        List<Path> written = ReportFiles.write(report, folder);
        assertEquals(List.of("2026-11-21-amd-epyc-2c-quick.json", "2026-11-21-amd-epyc-2c-quick.md",
                        "2026-11-21-amd-epyc-2c-quick-gemm.png", "2026-11-21-amd-epyc-2c-quick-rowwise.png"),
                written.stream().map(path -> path.getFileName().toString()).toList());
        JsonNode json = new ObjectMapper().readTree(written.getFirst().toFile());
        assertEquals(256, json.path("machine").path("vectorBits").asInt());
        assertEquals(60.0, json.path("results").path(0).path("rate").asDouble());
        assertTrue(Files.size(written.get(2)) > 1000);
    }

    @Test
    void eachOpIsShownNextToTheCopyThatRanWithItsOtherParameters() {
        ReportFiles.Report report = new ReportFiles.Report("2026-11-22", "full", "bench/report.sh", 75, MACHINE,
                List.of(rowwise("softmax heap", "vector", 8), rowwise("softmax native", "vector", 9),
                        rowwise("softmax native", "onednn", 6), rowwise("copy heap", "vector", 16),
                        rowwise("copy native", "vector", 18)),
                List.of(), List.of());

        String markdown = ReportFiles.markdown(report);

        assertTrue(markdown.contains("| softmax heap | 4096x1024 | 1 | 8.0 | n/a | 16.0 | n/a | 0.50 |"), markdown);
        assertTrue(markdown.contains("| softmax native | 4096x1024 | 1 | 9.0 | 6.0 | 18.0 | 1.50 | 0.50 |"), markdown);
    }

    private static ReportFiles.Measurement gemm(String implementation, double gflops) {
        return new ReportFiles.Measurement("gemm", "sgemm NN", implementation, "1024", 1,
                "org.isthmus.bench.GemmBenchmark.sgemm", Map.of("implementation", implementation), "GFLOP/s",
                2e9, 2e9 / gflops / 1e3, gflops, 3);
    }

    private static ReportFiles.Measurement rowwise(String op, String backend, double gbs) {
        return new ReportFiles.Measurement("rowwise", op, backend, "4096x1024", 1,
                "org.isthmus.bench.RowwiseBenchmark." + op, Map.of("backend", backend), "GB/s", 3.3e7,
                3.3e7 / gbs / 1e3, gbs, 3);
    }
}
