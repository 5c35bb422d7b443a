package org.isthmus.ffi.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.isthmus.kernels.Backend;
import org.isthmus.kernels.Backends;
import org.isthmus.kernels.Conv2dShape;
import org.isthmus.kernels.GemmKernel;
import org.isthmus.kernels.KernelSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The crossover table (shipped, overridden) and the routing it drives; auto is crossover when oneDNN loads. */
class CrossoverTest {

    @Test
    void autoIsTheCrossoverBackendWhenOneDnnLoads() {
        NativeChecks.oneDnn();
        org.junit.jupiter.api.Assumptions.assumeFalse(Backends.available().stream()
                .anyMatch(s -> s.name().equals("gpu-crossover") && s.available()), "a GPU backend outranks crossover here");
        Backend auto = Backends.get("auto");
        assertEquals(CrossoverBackend.NAME, auto.name());
    }

    @Test
    void theShippedTableCanBeOverriddenByFileAndByProperty(@TempDir Path folder) throws Exception {
        Crossover shipped = Crossover.load();
        Path file = Files.writeString(folder.resolve("table.properties"), "sgemm=1000\nsoftmax=never\n");
        System.setProperty("isthmus.crossover.file", file.toString());
        System.setProperty("isthmus.crossover.conv2d", "0");
        try {
            Crossover overridden = Crossover.load();
            assertEquals(new Crossover(1000, 0, shipped.conv2d3x3(), Long.MAX_VALUE, shipped.layerNorm()), overridden);
            System.setProperty("isthmus.crossover.conv2d", "lots");
            assertThrows(IllegalArgumentException.class, Crossover::load);
        } finally {
            System.clearProperty("isthmus.crossover.file");
            System.clearProperty("isthmus.crossover.conv2d");
        }
    }

    @Test
    void sgemmGoesToOneDnnFromTheThreshold() {
        List<String> calls = new ArrayList<>();
        KernelSet oneDnn = withGemm(recording("onednn", calls));
        KernelSet fallback = withGemm(recording("vector", calls));
        KernelSet routed = CrossoverBackend.route(oneDnn, fallback, new Crossover(1000, 0, 0, 0, 0));
        MemorySegment any = MemorySegment.ofArray(new float[1]);
        routed.gemm().sgemm(false, false, 9, 10, 11, 1f, any, 0, 11, any, 0, 10, 0f, any, 0, 10); // 990 < 1000
        routed.gemm().sgemm(false, false, 10, 10, 10, 1f, any, 0, 10, any, 0, 10, 0f, any, 0, 10); // 1000
        assertEquals(List.of("vector", "onednn"), calls);
    }

    /**
     * 3×3 stride-1 convolutions with 16 or more channels each way follow conv2d3x3, every other one
     * conv2d: the vector backend runs the two classes with different algorithms. Grouped ones never
     * go to oneDNN.
     */
    @Test
    void convolutionsFollowTheirClassThreshold() {
        Crossover table = new Crossover(0, 1000, Long.MAX_VALUE, 0, 0);
        Conv2dShape cnnLayer = new Conv2dShape(128, 32, 14, 14, 64, 3, 3, 1, 1, 1, 1, 1, 1);
        assertEquals(Long.MAX_VALUE, table.conv2d(cnnLayer, 1));
        assertEquals(Long.MAX_VALUE, table.conv2d(new Conv2dShape(1, 16, 5, 5, 16, 3, 3, 1, 1, 0, 0, 1, 1), 1));
        for (Conv2dShape other : List.of(
                new Conv2dShape(128, 1, 28, 28, 32, 3, 3, 1, 1, 1, 1, 1, 1),     // one input channel
                new Conv2dShape(8, 32, 14, 14, 15, 3, 3, 1, 1, 1, 1, 1, 1),      // 15 filters
                new Conv2dShape(8, 32, 14, 14, 64, 3, 3, 2, 2, 1, 1, 1, 1),      // stride 2
                new Conv2dShape(8, 32, 14, 14, 64, 3, 3, 1, 1, 2, 2, 2, 2),      // dilation 2
                new Conv2dShape(8, 32, 14, 14, 64, 5, 5, 1, 1, 2, 2, 1, 1),      // 5x5
                new Conv2dShape(8, 32, 14, 14, 64, 3, 3, 1, 1, 3, 3, 1, 1),      // padding 3
                new Conv2dShape(8, 32, 14, 14, 64, 3, 3, 1, 1, 1, 0, 1, 1))) {   // padding 1 x 0
            assertEquals(1000, table.conv2d(other, 1), other.toString());
        }
        // Grouped: oneDNN's primitives on NCHW were slower than vector at every size measured.
        assertEquals(Long.MAX_VALUE, new Crossover(0, 0, 0, 0, 0).conv2d(cnnLayer, 32), "depthwise");
        assertEquals(Long.MAX_VALUE, new Crossover(0, 0, 0, 0, 0).conv2d(cnnLayer, 2), "two groups");
        assertTrue(Crossover.load().toString().contains("3x3 stride-1"), Crossover.load().toString());
    }

    private static GemmKernel recording(String name, List<String> calls) {
        return (transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc) -> calls.add(name);
    }

    private static KernelSet withGemm(GemmKernel gemm) {
        KernelSet scalar = ((org.isthmus.kernels.CheckedBackend) Backends.get("scalar")).kernels();
        return new KernelSet(gemm, scalar.softmax(), scalar.normalization(), scalar.convolution(), scalar.pooling(),
                scalar.elementwise(), scalar.reductions());
    }
}
