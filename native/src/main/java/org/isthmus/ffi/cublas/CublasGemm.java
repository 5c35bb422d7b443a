package org.isthmus.ffi.cublas;

import org.isthmus.ffi.cublas.bindings.cuda_h;
import org.isthmus.kernels.GemmKernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * sgemm on the GPU: the operands' spans are copied to this thread's device buffers (heap data through
 * pinned staging buffers, native data directly), cuBLAS runs the column-major call of
 * {@link ColumnMajorGemm} on this thread's stream, and C comes back the same way. With beta = 0
 * cuBLAS does not read C, so NaN in the old C is ignored (BLAS semantics), and a dense C is not uploaded.
 * When the GPU runs out of memory the call runs on the CPU kernel instead, with one warning.
 */
final class CublasGemm implements GemmKernel {

    private static final System.Logger LOG = System.getLogger(CublasGemm.class.getName());
    private static final AtomicBoolean WARNED = new AtomicBoolean();
    /** Bytes staged per host-to-device copy: large enough for full PCIe speed, small enough to overlap. */
    static final long STAGING_CHUNK = 4L << 20;

    /** For k = 0, alpha = 0 (A and B may be shorter than the shape; C = beta·C is all there is) and out-of-memory. */
    private final GemmKernel cpu;
    private final String cpuName;

    CublasGemm(GemmKernel cpu, String cpuName) {
        this.cpu = cpu;
        this.cpuName = cpuName;
    }

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                      MemorySegment a, long aOffset, int lda, MemorySegment b, long bOffset, int ldb,
                      float beta, MemorySegment c, long cOffset, int ldc) {
        sgemmStridedBatched(transA, transB, m, n, k, alpha, a, aOffset, lda, 0, b, bOffset, ldb, 0,
                beta, c, cOffset, ldc, 0, 1);
    }

    /**
     * {@code batch} row-major sgemms, the i-th on A, B and C at offset + i·stride (validated by the
     * caller), in one {@code cublasSgemmStridedBatched} call; one is {@code cublasSgemm_v2}.
     */
    void sgemmStridedBatched(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             MemorySegment a, long aOffset, int lda, long strideA,
                             MemorySegment b, long bOffset, int ldb, long strideB,
                             float beta, MemorySegment c, long cOffset, int ldc, long strideC, int batch) {
        if (k == 0 || alpha == 0f) {
            onCpu(transA, transB, m, n, k, alpha, a, aOffset, lda, strideA, b, bOffset, ldb, strideB, beta, c,
                    cOffset, ldc, strideC, batch);
            return;
        }
        Cuda.PerThread gpu = null;
        try {
            gpu = Cuda.perThread();
            long aFloats = (long) (batch - 1) * strideA + ColumnMajorGemm.span(transA ? k : m, transA ? m : k, lda);
            long bFloats = (long) (batch - 1) * strideB + ColumnMajorGemm.span(transB ? n : k, transB ? k : n, ldb);
            long cFloats = (long) (batch - 1) * strideC + ColumnMajorGemm.span(m, n, ldc);
            MemorySegment deviceA = upload(gpu, Cuda.Slot.A, a, aOffset, aFloats);
            MemorySegment deviceB = upload(gpu, Cuda.Slot.B, b, bOffset, bFloats);
            // With beta = 0 cuBLAS does not read C; it is still uploaded when its span has gaps (ldc > n,
            // or room between the batch's outputs), which go back to the caller unchanged.
            boolean dense = ldc == n && (batch == 1 || strideC == (long) m * n);
            MemorySegment deviceC = beta == 0f && dense ? gpu.device(Cuda.Slot.C, cFloats * Float.BYTES)
                    : upload(gpu, Cuda.Slot.C, c, cOffset, cFloats);
            onDevice(gpu, ColumnMajorGemm.of(transA, transB, m, n, k, lda, ldb, ldc), alpha, deviceA, strideA,
                    deviceB, strideB, beta, deviceC, strideC, batch);
            download(gpu, deviceC, c, cOffset, cFloats);
        } catch (CudaException e) {
            if (!e.outOfMemory()) {
                throw e;
            }
            if (gpu != null) {
                gpu.release();
            }
            warnOnce(e);
            onCpu(transA, transB, m, n, k, alpha, a, aOffset, lda, strideA, b, bOffset, ldb, strideB, beta, c,
                    cOffset, ldc, strideC, batch);
        }
    }

    /**
     * Enqueues the column-major call on this thread's stream over device memory: cuBLAS's A is the
     * caller's B ({@code rowMajorB}) and its B the caller's A. Does not wait for the GPU.
     */
    static void onDevice(Cuda.PerThread gpu, ColumnMajorGemm call, float alpha, MemorySegment rowMajorA, long strideA,
                         MemorySegment rowMajorB, long strideB, float beta, MemorySegment rowMajorC, long strideC,
                         int batch) {
        MemorySegment scalars = gpu.alphaBeta;
        scalars.setAtIndex(ValueLayout.JAVA_FLOAT, 0, alpha);
        scalars.setAtIndex(ValueLayout.JAVA_FLOAT, 1, beta);
        int transa = call.transa() ? cuda_h.CUBLAS_OP_T() : cuda_h.CUBLAS_OP_N();
        int transb = call.transb() ? cuda_h.CUBLAS_OP_T() : cuda_h.CUBLAS_OP_N();
        MemorySegment alphaAddress = scalars.asSlice(0, Float.BYTES);
        MemorySegment betaAddress = scalars.asSlice(Float.BYTES, Float.BYTES);
        if (batch == 1) {
            Cuda.checkCublas(cuda_h.cublasSgemm_v2(gpu.handle, transa, transb, call.m(), call.n(), call.k(),
                    alphaAddress, rowMajorB, call.lda(), rowMajorA, call.ldb(), betaAddress, rowMajorC, call.ldc()),
                    "cublasSgemm_v2");
        } else {
            Cuda.checkCublas(cuda_h.cublasSgemmStridedBatched(gpu.handle, transa, transb, call.m(), call.n(),
                    call.k(), alphaAddress, rowMajorB, call.lda(), strideB, rowMajorA, call.ldb(), strideA,
                    betaAddress, rowMajorC, call.ldc(), strideC, batch), "cublasSgemmStridedBatched");
        }
    }

    /**
     * The device copy of {@code floats} elements from {@code offset}: native data directly, heap data
     * through pinned memory in {@link #STAGING_CHUNK} pieces, each handed to the (asynchronous) DMA as
     * soon as it is staged, so that staging the next piece overlaps the transfer of this one.
     */
    private static MemorySegment upload(Cuda.PerThread gpu, Cuda.Slot slot, MemorySegment host, long offset,
                                        long floats) {
        long bytes = floats * Float.BYTES;
        MemorySegment device = gpu.device(slot, bytes);
        MemorySegment source = host.asSlice(offset * Float.BYTES, bytes);
        if (source.isNative()) {
            gpu.copy(device, source, bytes, true);
            return device;
        }
        MemorySegment staged = gpu.pinned(slot, bytes);
        for (long start = 0; start < bytes; start += STAGING_CHUNK) {
            long length = Math.min(STAGING_CHUNK, bytes - start);
            MemorySegment.copy(source, start, staged, start, length);
            gpu.copy(device.asSlice(start, length), staged.asSlice(start, length), length, true);
        }
        return device;
    }

    /** Copies C back and waits for the stream: the call is complete when this returns. */
    private static void download(Cuda.PerThread gpu, MemorySegment device, MemorySegment host, long offset,
                                 long floats) {
        long bytes = floats * Float.BYTES;
        MemorySegment target = host.asSlice(offset * Float.BYTES, bytes);
        if (target.isNative()) {
            gpu.copy(target, device, bytes, false);
            gpu.synchronize();
        } else {
            MemorySegment staged = gpu.pinned(Cuda.Slot.C, bytes);
            gpu.copy(staged, device, bytes, false);
            gpu.synchronize();
            MemorySegment.copy(staged, 0, target, 0, bytes);
        }
    }

    private void onCpu(boolean transA, boolean transB, int m, int n, int k, float alpha,
                       MemorySegment a, long aOffset, int lda, long strideA,
                       MemorySegment b, long bOffset, int ldb, long strideB,
                       float beta, MemorySegment c, long cOffset, int ldc, long strideC, int batch) {
        for (int i = 0; i < batch; i++) {
            cpu.sgemm(transA, transB, m, n, k, alpha, a, aOffset + i * strideA, lda, b, bOffset + i * strideB, ldb,
                    beta, c, cOffset + i * strideC, ldc);
        }
    }

    private void warnOnce(CudaException e) {
        if (WARNED.compareAndSet(false, true)) {
            LOG.log(System.Logger.Level.WARNING, "GPU out of memory (" + e.getMessage() + "): this sgemm runs on "
                    + cpuName + ", as will any later one that does not fit (not logged again)");
        } else {
            LOG.log(System.Logger.Level.DEBUG, "GPU out of memory, sgemm on " + cpuName + ": " + e.getMessage());
        }
    }
}
