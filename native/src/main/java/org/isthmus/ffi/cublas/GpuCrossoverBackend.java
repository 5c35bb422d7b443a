package org.isthmus.ffi.cublas;

import org.isthmus.kernels.CheckedBackend;
import org.isthmus.kernels.GemmKernel;
import org.isthmus.kernels.KernelSet;

/**
 * What {@code auto} means when a GPU is present: sgemm from the {@link GpuCrossover} size on cuBLAS,
 * and everything else (smaller sgemms included) on the backend {@code auto} would pick without the
 * GPU (oneDNN's crossover, vector or scalar). A backend of its own, like oneDNN's {@code crossover},
 * so that {@code cublas} stays exactly cuBLAS for cross-checks and benchmarks.
 */
final class GpuCrossoverBackend extends CheckedBackend {

    static final String NAME = "gpu-crossover";

    private final String description;

    GpuCrossoverBackend(GemmKernel gpu, KernelSet cpu, String cpuName, GpuCrossover crossover,
                        CudaLibrary.Loaded library) {
        super(route(gpu, cpu, crossover));
        this.description = crossover + " (" + library.describe() + "), everything else on " + cpuName;
    }

    static KernelSet route(GemmKernel gpu, KernelSet cpu, GpuCrossover crossover) {
        GemmKernel gemm = (transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc) ->
                (crossover.onGpu(m, n, k) ? gpu : cpu.gemm())
                        .sgemm(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc);
        return new KernelSet(gemm, cpu.softmax(), cpu.normalization(), cpu.convolution(), cpu.pooling(),
                cpu.elementwise(), cpu.reductions());
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return description;
    }
}
