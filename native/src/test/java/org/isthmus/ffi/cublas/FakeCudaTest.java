package org.isthmus.ffi.cublas;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.isthmus.kernels.Backends;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

/**
 * What only the fake CUDA of {@code native/src/test/fake-cuda/run.sh} can provoke on purpose: the GPU
 * running out of memory (its {@code FAKE_CUDA_MEMORY} is 64 MiB there). Skipped elsewhere.
 */
class FakeCudaTest {

    private static CublasBackend cublasOnTheFake() {
        assumeTrue(System.getenv("FAKE_CUDA_MEMORY") != null, "runs under native/src/test/fake-cuda/run.sh only");
        return GpuChecks.cublas();
    }

    @Test
    void anSgemmTooLargeForTheGpuRunsOnTheCpuAndTheNextOneOnTheGpuAgain() {
        CublasBackend cublas = cublasOnTheFake();
        long limit = Long.parseLong(System.getenv("FAKE_CUDA_MEMORY"));
        int m = 3;
        int k = 4096;
        int n = 4096; // B alone is 64 MiB
        assertTrue((long) k * n * Float.BYTES >= limit, "the case must not fit: FAKE_CUDA_MEMORY=" + limit);
        SplittableRandom random = GpuChecks.random("oom");
        float[] a = GpuChecks.uniform(random, (long) m * k);
        float[] b = GpuChecks.uniform(random, (long) k * n);
        MemorySegment expected = MemorySegment.ofArray(new float[m * n]);
        Backends.get("scalar").sgemm(false, false, m, n, k, 1f, MemorySegment.ofArray(a), 0, k,
                MemorySegment.ofArray(b), 0, n, 0f, expected, 0, n);
        MemorySegment actual = MemorySegment.ofArray(new float[m * n]);
        cublas.sgemm(false, false, m, n, k, 1f, MemorySegment.ofArray(a), 0, k, MemorySegment.ofArray(b), 0, n, 0f,
                actual, 0, n);
        // The CPU fallback (vector) against the reference: FP32 accumulation over k = 4096 terms of size ≤ 1.
        GpuChecks.assertClose(GpuChecks.toArray(expected), GpuChecks.toArray(actual), 1e-4, "fallback");

        float[] small = {1, 2, 3, 4};
        MemorySegment c = MemorySegment.ofArray(new float[4]);
        cublas.sgemm(false, false, 2, 2, 2, 1f, MemorySegment.ofArray(small), 0, 2, MemorySegment.ofArray(small), 0, 2,
                0f, c, 0, 2);
        assertArrayEquals(new float[] {7, 10, 15, 22}, GpuChecks.toArray(c), "on the GPU again");
    }

    @Test
    void aDeviceBufferTooLargeIsAnOutOfMemoryCudaException() {
        CublasBackend cublas = cublasOnTheFake();
        long limit = Long.parseLong(System.getenv("FAKE_CUDA_MEMORY"));
        CudaException e = assertThrows(CudaException.class, () -> cublas.allocate(limit / Float.BYTES + 1).close());
        assertTrue(e.outOfMemory(), e.getMessage());
        assertEquals("CUDA runtime", e.library());
        assertTrue(e.getMessage().startsWith("CUDA runtime: cudaMalloc(" + (limit + Float.BYTES) + " bytes) failed with "
                + "status 2 (cudaErrorMemoryAllocation: out of memory)"), e.getMessage());
    }
}
