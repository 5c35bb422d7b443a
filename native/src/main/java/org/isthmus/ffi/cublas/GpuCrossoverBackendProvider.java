package org.isthmus.ffi.cublas;

import org.isthmus.kernels.Backend;
import org.isthmus.kernels.BackendProvider;

/**
 * {@code gpu-crossover}: the highest priority, so {@code auto} takes it whenever a GPU is usable, and
 * falls to the next backend (the same reason reported for both GPU backends) when none is.
 */
public final class GpuCrossoverBackendProvider implements BackendProvider {

    static final int PRIORITY = 300;

    @Override
    public String name() {
        return GpuCrossoverBackend.NAME;
    }

    @Override
    public int priority() {
        return PRIORITY;
    }

    @Override
    public Backend load() {
        CudaLibrary.Loaded library = CublasBackendProvider.loadLibrary(GpuCrossoverBackend.NAME);
        CpuKernels cpu = CpuKernels.bestBelow(PRIORITY);
        // Out-of-memory falls back to vector (or scalar), as on the cublas backend.
        CpuKernels vector = CpuKernels.vectorOrScalar();
        return new GpuCrossoverBackend(new CublasGemm(vector.kernels().gemm(), vector.name()), cpu.kernels(),
                cpu.name(), GpuCrossover.load(), library);
    }
}
