package org.isthmus.kernels.vector;

import org.isthmus.kernels.CheckedBackend;
import org.isthmus.kernels.KernelSet;
import org.isthmus.kernels.Parallelism;

/** The Vector API backend: SIMD kernels in pure Java, on the library's thread pool. */
public final class VectorBackend extends CheckedBackend {

    public VectorBackend() {
        super(new KernelSet(VectorGemm::sgemm, new VectorSoftmax(), new VectorNormalization(),
                new VectorConvolution(), new VectorPooling(), new VectorElementwise(), new VectorReductions()));
    }

    @Override
    public String name() {
        return VectorBackendProvider.NAME;
    }

    @Override
    public String description() {
        return "Vector API, " + Species.FLOAT.vectorBitSize() + "-bit species (" + Species.FLOAT.length()
                + " floats), gemm tile " + VectorGemm.MR + "x" + VectorGemm.NR + ", "
                + Parallelism.threads() + " thread(s)";
    }
}
