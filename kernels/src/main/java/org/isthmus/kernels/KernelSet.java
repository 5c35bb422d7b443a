package org.isthmus.kernels;

import java.util.Objects;

/**
 * The kernels one backend runs, family by family. A native backend can mix its own families with
 * another backend's for the operations its library lacks.
 */
public record KernelSet(GemmKernel gemm, SoftmaxKernels softmax, NormalizationKernels normalization,
                        ConvolutionKernels convolution, PoolingKernels pooling, ElementwiseKernels elementwise,
                        ReductionKernels reductions) {

    public KernelSet {
        Objects.requireNonNull(gemm, "gemm");
        Objects.requireNonNull(softmax, "softmax");
        Objects.requireNonNull(normalization, "normalization");
        Objects.requireNonNull(convolution, "convolution");
        Objects.requireNonNull(pooling, "pooling");
        Objects.requireNonNull(elementwise, "elementwise");
        Objects.requireNonNull(reductions, "reductions");
    }
}
