package org.isthmus.ffi.onednn;

import org.isthmus.kernels.CheckedBackend;
import org.isthmus.kernels.KernelSet;

/**
 * oneDNN for sgemm, conv2d (forward and both backward passes), softmax, logSoftmax and layerNorm
 * (forward and backward) at every size; every other op on the fallback kernels (vector, or scalar
 * when the Vector API is not resolved). What {@code -Disthmus.backend=onednn} selects; {@code auto}
 * picks {@link CrossoverBackend}, which routes each op to whichever of the two is faster.
 */
final class OneDnnBackend extends CheckedBackend {

    static final String NAME = "onednn";

    private final String description;

    OneDnnBackend(KernelSet fallback, String fallbackName, OneDnnLibrary.Loaded library) {
        super(kernels(fallback));
        this.description = "oneDNN " + library.version() + " from " + library.path() + " (" + library.source()
                + "): sgemm, conv2d, softmax, layerNorm; other ops on " + fallbackName + "; " + OpenMp.describe();
    }

    /** The oneDNN kernels over a fallback for the ops and cases oneDNN lacks. */
    static KernelSet kernels(KernelSet fallback) {
        return new KernelSet(new OneDnnGemm(fallback.gemm()), new OneDnnSoftmax(fallback.softmax()),
                new OneDnnNormalization(fallback.normalization()), new OneDnnConvolution(), fallback.pooling(),
                fallback.elementwise(), fallback.reductions());
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
