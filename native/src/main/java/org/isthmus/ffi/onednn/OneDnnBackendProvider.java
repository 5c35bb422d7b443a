package org.isthmus.ffi.onednn;

import org.isthmus.kernels.Backend;
import org.isthmus.kernels.BackendProvider;
import org.isthmus.kernels.BackendUnavailableException;

/**
 * {@code onednn}: oneDNN for every op it has, whatever the size. Below {@code vector} in priority:
 * {@code auto} takes {@code crossover} instead, which uses oneDNN only where it is faster.
 */
public final class OneDnnBackendProvider implements BackendProvider {

    @Override
    public String name() {
        return OneDnnBackend.NAME;
    }

    @Override
    public int priority() {
        return 50;
    }

    @Override
    public Backend load() {
        OneDnnLibrary.Loaded library = loadLibrary(OneDnnBackend.NAME);
        FallbackKernels fallback = FallbackKernels.create();
        return new OneDnnBackend(fallback.kernels(), fallback.name(), library);
    }

    /** The library, or {@link BackendUnavailableException} with the one-line reason and its cause. */
    static OneDnnLibrary.Loaded loadLibrary(String backend) {
        try {
            return OneDnnLibrary.get();
        } catch (OneDnnLibrary.LoadFailure failure) {
            throw new BackendUnavailableException(backend, failure.getMessage(),
                    failure.getCause() != null ? failure.getCause() : failure);
        }
    }
}
