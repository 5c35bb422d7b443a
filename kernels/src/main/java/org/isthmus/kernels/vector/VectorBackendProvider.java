package org.isthmus.kernels.vector;

import org.isthmus.kernels.Backend;
import org.isthmus.kernels.BackendProvider;
import org.isthmus.kernels.BackendUnavailableException;

/**
 * Loads the Vector API backend by name, and only after checking that {@code jdk.incubator.vector}
 * is resolved in this JVM; this class itself imports nothing from the incubator module, so the
 * library still loads (on the scalar backend) when the module is absent.
 */
public final class VectorBackendProvider implements BackendProvider {

    static final String NAME = "vector";
    private static final String MODULE = "jdk.incubator.vector";
    private static final String BACKEND_CLASS = "org.isthmus.kernels.vector.VectorBackend";
    private static final System.Logger LOG = System.getLogger(VectorBackendProvider.class.getName());

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        return 100;
    }

    @Override
    public Backend load() {
        if (ModuleLayer.boot().findModule(MODULE).isEmpty()) {
            String reason = MODULE + " is not resolved in this JVM; start java with --add-modules "
                    + MODULE + " to enable it (falling back to the scalar backend)";
            LOG.log(System.Logger.Level.WARNING, "Isthmus: " + reason);
            throw new BackendUnavailableException(NAME, reason);
        }
        try {
            return (Backend) Class.forName(BACKEND_CLASS).getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new BackendUnavailableException(NAME, "cannot create " + BACKEND_CLASS + ": " + e, e);
        }
    }
}
