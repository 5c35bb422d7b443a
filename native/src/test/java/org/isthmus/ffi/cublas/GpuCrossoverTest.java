package org.isthmus.ffi.cublas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.isthmus.kernels.Backends;
import org.isthmus.kernels.CheckedBackend;
import org.isthmus.kernels.GemmKernel;
import org.isthmus.kernels.KernelSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The GPU crossover size (shipped, overridden), the routing it drives, and the default math mode; no GPU needed. */
class GpuCrossoverTest {

    @Test
    void sgemmGoesToTheGpuFromTheThreshold() {
        List<String> calls = new ArrayList<>();
        KernelSet cpu = ((CheckedBackend) Backends.get("scalar")).kernels();
        KernelSet cpuRecording = new KernelSet(recording("cpu", calls), cpu.softmax(), cpu.normalization(),
                cpu.convolution(), cpu.pooling(), cpu.elementwise(), cpu.reductions());
        KernelSet routed = GpuCrossoverBackend.route(recording("gpu", calls), cpuRecording, new GpuCrossover(1000));
        MemorySegment any = MemorySegment.ofArray(new float[1]);
        routed.gemm().sgemm(false, false, 9, 10, 11, 1f, any, 0, 11, any, 0, 10, 0f, any, 0, 10); // 990 < 1000
        routed.gemm().sgemm(true, false, 10, 10, 10, 1f, any, 0, 10, any, 0, 10, 0f, any, 0, 10); // 1000
        routed.gemm().sgemm(false, true, 1, 1_000_000, 1, 1f, any, 0, 1, any, 0, 1, 0f, any, 0, 1_000_000);
        assertEquals(List.of("cpu", "gpu", "gpu"), calls);
        assertEquals(cpu.softmax(), routed.softmax(), "every other op runs on the CPU backend");
        assertEquals(cpu.convolution(), routed.convolution());
    }

    @Test
    void neverKeepsEverySgemmOnTheCpu() {
        GpuCrossover never = new GpuCrossover(Long.MAX_VALUE);
        assertTrue(!never.onGpu(Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE));
        assertEquals("sgemm never on the GPU", never.toString());
    }

    @Test
    void theShippedSizeCanBeOverriddenByFileAndByProperty(@TempDir Path folder) throws Exception {
        GpuCrossover shipped = GpuCrossover.load();
        assertTrue(shipped.sgemm() > 0 && shipped.sgemm() < Long.MAX_VALUE, shipped.toString());
        Path file = Files.writeString(folder.resolve("table.properties"), "sgemm=5\ncublas=1_000\n");
        System.setProperty("isthmus.crossover.file", file.toString());
        try {
            assertEquals(new GpuCrossover(1000), GpuCrossover.load());
            System.setProperty("isthmus.crossover.cublas", "never");
            assertEquals(new GpuCrossover(Long.MAX_VALUE), GpuCrossover.load());
            System.setProperty("isthmus.crossover.cublas", "lots");
            assertThrows(IllegalArgumentException.class, GpuCrossover::load);
            Files.writeString(file, "sgemm=5\n");
            System.clearProperty("isthmus.crossover.cublas");
            assertEquals(shipped, GpuCrossover.load(), "a file without the key keeps the shipped size");
        } finally {
            System.clearProperty("isthmus.crossover.file");
            System.clearProperty("isthmus.crossover.cublas");
        }
    }

    @Test
    void exactFp32UnlessTf32IsAskedFor() {
        assertEquals(!Boolean.getBoolean("isthmus.cublas.tf32"), !Cuda.TF32);
        // cublasMath_t: CUBLAS_DEFAULT_MATH = 0 (FP32 for sgemm), CUBLAS_TF32_TENSOR_OP_MATH = 3 (cublas_api.h).
        assertEquals(Cuda.TF32 ? 3 : 0, Cuda.mathMode());
    }

    private static GemmKernel recording(String name, List<String> calls) {
        return (transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc) -> calls.add(name);
    }
}
