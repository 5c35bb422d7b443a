package org.isthmus.ffi.cublas;

/** A CUDA runtime or cuBLAS call that returned a status other than success. */
public final class CudaException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String library;
    private final String function;
    private final int status;
    private final boolean outOfMemory;

    CudaException(String library, String function, int status, String meaning, boolean outOfMemory) {
        super(library + ": " + function + " failed with status " + status + " (" + meaning + ")");
        this.library = library;
        this.function = function;
        this.status = status;
        this.outOfMemory = outOfMemory;
    }

    /** "CUDA runtime" or "cuBLAS". */
    public String library() {
        return library;
    }

    /** The function that failed. */
    public String function() {
        return function;
    }

    /** Its {@code cudaError_t} or {@code cublasStatus_t}. */
    public int status() {
        return status;
    }

    /** Whether the GPU ran out of memory ({@code cudaErrorMemoryAllocation}, {@code CUBLAS_STATUS_ALLOC_FAILED}). */
    public boolean outOfMemory() {
        return outOfMemory;
    }
}
