package org.isthmus.ffi.cublas;

import org.isthmus.ffi.cublas.bindings.cuda_h;
import org.isthmus.kernels.CheckedBackend;
import org.isthmus.kernels.GemmArguments;
import org.isthmus.kernels.KernelSet;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * {@code cublas}: every sgemm on the GPU through cuBLAS (what cross-checks and benchmarks select),
 * every other op on the CPU kernels (vector, or scalar without the Vector API). {@code auto} picks
 * {@link GpuCrossoverBackend} instead, which sends only large sgemms here.
 *
 * <p>Beyond the {@link org.isthmus.kernels.Backend} contract, for callers that know they hold this
 * backend ({@code (CublasBackend) Backends.get("cublas")}): a strided batched sgemm on host data, for
 * the API's batched matmul, and sgemm on {@link DeviceBuffer}s that stay on the GPU between calls.
 */
public final class CublasBackend extends CheckedBackend {

    static final String NAME = "cublas";

    private final CublasGemm gemm;
    private final String description;

    CublasBackend(CublasGemm gemm, KernelSet cpu, String cpuName, CudaLibrary.Loaded library) {
        super(new KernelSet(gemm, cpu.softmax(), cpu.normalization(), cpu.convolution(), cpu.pooling(),
                cpu.elementwise(), cpu.reductions()));
        this.gemm = gemm;
        this.description = library.describe() + ", GPU " + Cuda.DEVICE + ", "
                + (Cuda.TF32 ? "TF32 tensor cores (isthmus.cublas.tf32=true)" : "FP32, TF32 off")
                + ": sgemm; other ops on " + cpuName;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return description;
    }

    /**
     * {@code batch} independent row-major sgemms in one cuBLAS call: for i in [0, batch),
     * C_i = alpha·op(A_i)·op(B_i) + beta·C_i, where A_i starts at {@code aOffset + i·strideA} (elements),
     * and likewise B_i and C_i. A stride of 0 reuses one matrix for every product (a shared weight);
     * C's stride must keep the outputs apart. Arguments are checked as for {@link #sgemm} before any
     * native call.
     */
    public void sgemmStridedBatched(boolean transA, boolean transB, int m, int n, int k, float alpha,
                                    MemorySegment a, long aOffset, int lda, long strideA,
                                    MemorySegment b, long bOffset, int ldb, long strideB,
                                    float beta, MemorySegment c, long cOffset, int ldc, long strideC, int batch) {
        String call = "sgemmStridedBatched(m=" + m + ", n=" + n + ", k=" + k + ", batch=" + batch + ", strideA="
                + strideA + ", strideB=" + strideB + ", strideC=" + strideC + ")";
        if (batch < 0 || strideA < 0 || strideB < 0 || strideC < 0) {
            throw new IllegalArgumentException("batch and strides must be >= 0: " + call);
        }
        if (batch == 0 || m == 0 || n == 0) {
            GemmArguments.check(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc);
            return;
        }
        if (batch > 1 && strideC < ColumnMajorGemm.span(m, n, ldc)) {
            throw new IllegalArgumentException("strideC is smaller than one C (" + ColumnMajorGemm.span(m, n, ldc)
                    + " elements), so the outputs would overlap: " + call);
        }
        // The first and the last product bound every other: offsets grow with i.
        GemmArguments.check(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc);
        long last = batch - 1L;
        GemmArguments.check(transA, transB, m, n, k, alpha, a, aOffset + last * strideA, lda,
                b, bOffset + last * strideB, ldb, c, cOffset + last * strideC, ldc);
        gemm.sgemmStridedBatched(transA, transB, m, n, k, alpha, a, aOffset, lda, strideA, b, bOffset, ldb, strideB,
                beta, c, cOffset, ldc, strideC, batch);
    }

    /** {@code floats} of GPU memory (no transfer); close it to free it. */
    public DeviceBuffer allocate(long floats) {
        if (floats < 0) {
            throw new IllegalArgumentException("floats must be >= 0: " + floats);
        }
        return new DeviceBuffer(floats);
    }

    /**
     * Row-major sgemm on data already on the GPU, enqueued on this thread's stream without waiting
     * (see {@link #synchronize}); the same BLAS semantics as {@link #sgemm}, offsets in elements.
     */
    public void sgemmOnDevice(boolean transA, boolean transB, int m, int n, int k, float alpha,
                              DeviceBuffer a, long aOffset, int lda, DeviceBuffer b, long bOffset, int ldb,
                              float beta, DeviceBuffer c, long cOffset, int ldc) {
        String call = "sgemmOnDevice(transA=" + transA + ", transB=" + transB + ", m=" + m + ", n=" + n + ", k=" + k
                + ", lda=" + lda + ", ldb=" + ldb + ", ldc=" + ldc + ")";
        if (m <= 0 || n <= 0 || k <= 0) {
            throw new IllegalArgumentException("sizes must be >= 1 on the device: " + call);
        }
        if (lda < (transA ? m : k) || ldb < (transB ? k : n) || ldc < n) {
            throw new IllegalArgumentException("a leading dimension is smaller than its row: " + call);
        }
        MemorySegment deviceA = a.at(aOffset, ColumnMajorGemm.span(transA ? k : m, transA ? m : k, lda), "a");
        MemorySegment deviceB = b.at(bOffset, ColumnMajorGemm.span(transB ? n : k, transB ? k : n, ldb), "b");
        MemorySegment deviceC = c.at(cOffset, ColumnMajorGemm.span(m, n, ldc), "c");
        CublasGemm.onDevice(Cuda.perThread(), ColumnMajorGemm.of(transA, transB, m, n, k, lda, ldb, ldc), alpha,
                deviceA, 0, deviceB, 0, beta, deviceC, 0, 1);
    }

    /** Waits until the work this thread enqueued has finished. */
    public void synchronize() {
        Cuda.perThread().synchronize();
    }

    /** Milliseconds the GPU spent on what {@code work} enqueues on this thread's stream, timed with CUDA events. */
    public float deviceMillis(Runnable work) {
        Cuda.PerThread gpu = Cuda.perThread();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment slot = arena.allocate(ValueLayout.ADDRESS, 2);
            Cuda.check(cuda_h.cudaEventCreate(slot), "cudaEventCreate");
            MemorySegment start = slot.getAtIndex(ValueLayout.ADDRESS, 0);
            try {
                Cuda.check(cuda_h.cudaEventCreate(slot.asSlice(ValueLayout.ADDRESS.byteSize())), "cudaEventCreate");
                MemorySegment end = slot.getAtIndex(ValueLayout.ADDRESS, 1);
                try {
                    Cuda.check(cuda_h.cudaEventRecord(start, gpu.stream), "cudaEventRecord");
                    work.run();
                    Cuda.check(cuda_h.cudaEventRecord(end, gpu.stream), "cudaEventRecord");
                    Cuda.check(cuda_h.cudaEventSynchronize(end), "cudaEventSynchronize");
                    MemorySegment millis = arena.allocate(ValueLayout.JAVA_FLOAT);
                    Cuda.check(cuda_h.cudaEventElapsedTime(millis, start, end), "cudaEventElapsedTime");
                    return millis.get(ValueLayout.JAVA_FLOAT, 0);
                } finally {
                    cuda_h.cudaEventDestroy(end);
                }
            } finally {
                cuda_h.cudaEventDestroy(start);
            }
        }
    }
}
