package org.isthmus.kernels.scalar;

import org.isthmus.kernels.Backend;
import org.isthmus.kernels.BackendProvider;

/** The scalar backend runs everywhere; it ranks last for {@code auto}. */
public final class ScalarBackendProvider implements BackendProvider {

    @Override
    public String name() {
        return ScalarBackend.NAME;
    }

    @Override
    public int priority() {
        return 0;
    }

    @Override
    public Backend load() {
        return new ScalarBackend();
    }
}
