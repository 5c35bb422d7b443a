package org.isthmus.ffi.onednn;

import org.isthmus.kernels.Backend;
import org.isthmus.kernels.BackendProvider;

/**
 * {@code crossover}: the highest priority, so {@code auto} takes it whenever oneDNN loads, and
 * falls to {@code vector} (the same reason reported for both oneDNN backends) when it does not.
 */
public final class CrossoverBackendProvider implements BackendProvider {

    @Override
    public String name() {
        return CrossoverBackend.NAME;
    }

    @Override
    public int priority() {
        return 200;
    }

    @Override
    public Backend load() {
        OneDnnLibrary.Loaded library = OneDnnBackendProvider.loadLibrary(CrossoverBackend.NAME);
        FallbackKernels fallback = FallbackKernels.create();
        return new CrossoverBackend(OneDnnBackend.kernels(fallback.kernels()), fallback.kernels(), fallback.name(),
                Crossover.load(), library);
    }
}
