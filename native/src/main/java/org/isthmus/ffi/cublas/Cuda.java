package org.isthmus.ffi.cublas;

import org.isthmus.ffi.cublas.bindings.cuda_h;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Cleaner;

/**
 * The CUDA runtime and cuBLAS as the backend uses them: status checks, and per thread one cuBLAS
 * handle, one stream and the growing device and pinned host buffers that calls reuse. A handle is
 * bound to its stream, and neither is shared between threads, so concurrent callers never wait on
 * each other's work; everything a thread owns is freed by a {@link Cleaner} once the thread is gone.
 */
final class Cuda {

    static final Cleaner CLEANER = Cleaner.create();
    /** GPU used by every thread: {@code -Disthmus.cuda.device=N}, default 0. */
    static final int DEVICE = Integer.getInteger("isthmus.cuda.device", 0);
    /** TF32 tensor cores (about 10 mantissa bits) only when asked for: {@code -Disthmus.cublas.tf32=true}. */
    static final boolean TF32 = Boolean.getBoolean("isthmus.cublas.tf32");
    /** Buffers grow in steps of this, so that slowly growing shapes do not reallocate on every call. */
    private static final long GRANULE = 2L << 20;

    private static final ThreadLocal<PerThread> PER_THREAD = ThreadLocal.withInitial(PerThread::new);

    private Cuda() {
    }

    /** Throws {@link CudaException} naming the function and CUDA's text when {@code status} is not {@code cudaSuccess}. */
    static void check(int status, String function) {
        if (status != cuda_h.cudaSuccess()) {
            throw runtimeError(status, function);
        }
    }

    static CudaException runtimeError(int status, String function) {
        String meaning = text(cuda_h.cudaGetErrorName(status)) + ": " + text(cuda_h.cudaGetErrorString(status));
        return new CudaException("CUDA runtime", function, status, meaning,
                status == cuda_h.cudaErrorMemoryAllocation());
    }

    /** Throws {@link CudaException} naming the function and cuBLAS's text when {@code status} is not success. */
    static void checkCublas(int status, String function) {
        if (status != cuda_h.CUBLAS_STATUS_SUCCESS()) {
            String meaning = text(cuda_h.cublasGetStatusName(status)) + ": " + text(cuda_h.cublasGetStatusString(status));
            throw new CudaException("cuBLAS", function, status, meaning, status == cuda_h.CUBLAS_STATUS_ALLOC_FAILED());
        }
    }

    private static String text(MemorySegment cString) {
        return cString.equals(MemorySegment.NULL) ? "(no text)" : cString.reinterpret(256).getString(0);
    }

    /**
     * The math mode every handle gets. By default {@code CUBLAS_DEFAULT_MATH}, which for sgemm computes
     * in FP32 (no TF32, no reduced precision) with cuBLAS's fastest kernels: what torch.mm runs with
     * TF32 off. {@code CUBLAS_PEDANTIC_MATH} would also be exact but is meant for numerical testing and
     * may pick slower kernels. TF32 tensor cores only when asked for.
     */
    static int mathMode() {
        return TF32 ? cuda_h.CUBLAS_TF32_TENSOR_OP_MATH() : cuda_h.CUBLAS_DEFAULT_MATH();
    }

    static PerThread perThread() {
        return PER_THREAD.get();
    }

    /** The buffers one call may hold at once. */
    enum Slot { A, B, C }

    /** One thread's handle, stream, and device and pinned buffers per {@link Slot}. */
    static final class PerThread {
        final MemorySegment handle;
        final MemorySegment stream;
        /** alpha and beta: cuBLAS reads them from host memory (the default pointer mode) before returning. */
        final MemorySegment alphaBeta = Arena.ofAuto().allocate(ValueLayout.JAVA_FLOAT, 2);
        private final Buffers buffers = new Buffers();

        PerThread() {
            check(cuda_h.cudaSetDevice(DEVICE), "cudaSetDevice(" + DEVICE + ")");
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment slot = arena.allocate(ValueLayout.ADDRESS);
                check(cuda_h.cudaStreamCreate(slot), "cudaStreamCreate");
                stream = slot.get(ValueLayout.ADDRESS, 0);
                checkCublas(cuda_h.cublasCreate_v2(slot), "cublasCreate_v2");
                handle = slot.get(ValueLayout.ADDRESS, 0);
            }
            checkCublas(cuda_h.cublasSetStream_v2(handle, stream), "cublasSetStream_v2");
            checkCublas(cuda_h.cublasSetMathMode(handle, mathMode()), "cublasSetMathMode");
            Buffers owned = buffers;
            MemorySegment ownedHandle = handle;
            MemorySegment ownedStream = stream;
            CLEANER.register(this, () -> {
                cuda_h.cudaSetDevice(DEVICE);
                owned.free();
                cuda_h.cublasDestroy_v2(ownedHandle);
                cuda_h.cudaStreamDestroy(ownedStream);
            });
        }

        /** At least {@code bytes} of device memory for this slot, kept for the thread's next calls. */
        MemorySegment device(Slot slot, long bytes) {
            return buffers.device(slot, bytes);
        }

        /** At least {@code bytes} of pinned host memory for this slot, kept for the thread's next calls. */
        MemorySegment pinned(Slot slot, long bytes) {
            return buffers.pinned(slot, bytes);
        }

        /** Frees this thread's buffers, after the GPU ran out of memory, so that other work can have it. */
        void release() {
            buffers.free();
        }

        void synchronize() {
            check(cuda_h.cudaStreamSynchronize(stream), "cudaStreamSynchronize");
        }

        /** Copies {@code bytes} host to device (or back, {@code toDevice} false) on this thread's stream. */
        void copy(MemorySegment to, MemorySegment from, long bytes, boolean toDevice) {
            check(cuda_h.cudaMemcpyAsync(to, from, bytes,
                    toDevice ? cuda_h.cudaMemcpyHostToDevice() : cuda_h.cudaMemcpyDeviceToHost(), stream),
                    toDevice ? "cudaMemcpyAsync(host to device)" : "cudaMemcpyAsync(device to host)");
        }
    }

    /** The addresses, not owned by any arena: freed with cudaFree / cudaFreeHost. */
    private static final class Buffers {
        private final MemorySegment[] device = new MemorySegment[Slot.values().length];
        private final MemorySegment[] pinned = new MemorySegment[Slot.values().length];

        MemorySegment device(Slot slot, long bytes) {
            int i = slot.ordinal();
            if (device[i] == null || device[i].byteSize() < bytes) {
                if (device[i] != null) {
                    check(cuda_h.cudaFree(device[i]), "cudaFree");
                    device[i] = null;
                }
                device[i] = allocate(roundUp(bytes), false);
            }
            return device[i];
        }

        MemorySegment pinned(Slot slot, long bytes) {
            int i = slot.ordinal();
            if (pinned[i] == null || pinned[i].byteSize() < bytes) {
                if (pinned[i] != null) {
                    check(cuda_h.cudaFreeHost(pinned[i]), "cudaFreeHost");
                    pinned[i] = null;
                }
                pinned[i] = allocate(roundUp(bytes), true);
            }
            return pinned[i];
        }

        void free() {
            for (int i = 0; i < device.length; i++) {
                if (device[i] != null) {
                    cuda_h.cudaFree(device[i]);
                    device[i] = null;
                }
                if (pinned[i] != null) {
                    cuda_h.cudaFreeHost(pinned[i]);
                    pinned[i] = null;
                }
            }
        }

        private static long roundUp(long bytes) {
            return Math.max(GRANULE, (bytes + GRANULE - 1) / GRANULE * GRANULE);
        }
    }

    /** {@code bytes} of device memory ({@code cudaMalloc}) or pinned host memory ({@code cudaMallocHost}). */
    static MemorySegment allocate(long bytes, boolean pinnedHost) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment slot = arena.allocate(ValueLayout.ADDRESS);
            if (pinnedHost) {
                check(cuda_h.cudaMallocHost(slot, bytes), "cudaMallocHost(" + bytes + " bytes)");
            } else {
                check(cuda_h.cudaMalloc(slot, bytes), "cudaMalloc(" + bytes + " bytes)");
            }
            return slot.get(ValueLayout.ADDRESS, 0).reinterpret(bytes);
        }
    }
}
