package org.isthmus.ffi.cublas;

import org.isthmus.kernels.Backend;
import org.isthmus.kernels.BackendProvider;
import org.isthmus.kernels.BackendUnavailableException;

/**
 * {@code cublas}: cuBLAS for every sgemm, whatever the size. Below {@code vector} in priority:
 * {@code auto} takes {@code gpu-crossover} instead, which uses the GPU only where it is faster.
 */
public final class CublasBackendProvider implements BackendProvider {

    @Override
    public String name() {
        return CublasBackend.NAME;
    }

    @Override
    public int priority() {
        return 40;
    }

    @Override
    public Backend load() {
        CudaLibrary.Loaded library = loadLibrary(CublasBackend.NAME);
        CpuKernels cpu = CpuKernels.vectorOrScalar();
        return new CublasBackend(new CublasGemm(cpu.kernels().gemm(), cpu.name()), cpu.kernels(), cpu.name(), library);
    }

    /** The libraries with the chosen GPU, or {@link BackendUnavailableException} with the one-line reason and its cause. */
    static CudaLibrary.Loaded loadLibrary(String backend) {
        try {
            CudaLibrary.Loaded library = CudaLibrary.get();
            if (Cuda.DEVICE < 0 || Cuda.DEVICE >= library.devices()) {
                throw new BackendUnavailableException(backend, "isthmus.cuda.device=" + Cuda.DEVICE + " but there are "
                        + library.devices() + " GPU(s), numbered from 0");
            }
            return library;
        } catch (CudaLibrary.LoadFailure failure) {
            throw new BackendUnavailableException(backend, failure.getMessage(),
                    failure.getCause() != null ? failure.getCause() : failure);
        }
    }
}
