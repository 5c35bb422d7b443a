package org.isthmus.ffi.onednn;

import org.isthmus.kernels.BackendUnavailableException;
import org.isthmus.kernels.CheckedBackend;
import org.isthmus.kernels.KernelSet;
import org.isthmus.kernels.scalar.ScalarBackend;
import org.isthmus.kernels.vector.VectorBackendProvider;

/**
 * The kernels the oneDNN backends use for what oneDNN does not do: vector's, or scalar's when
 * {@code jdk.incubator.vector} is not resolved. Created directly rather than through
 * {@code Backends.get}, which is busy loading the oneDNN backend when this runs.
 */
record FallbackKernels(String name, KernelSet kernels) {

    static FallbackKernels create() {
        try {
            CheckedBackend vector = (CheckedBackend) new VectorBackendProvider().load();
            return new FallbackKernels(vector.name(), vector.kernels());
        } catch (BackendUnavailableException e) {
            return new FallbackKernels(ScalarBackend.NAME, new ScalarBackend().kernels());
        }
    }
}
