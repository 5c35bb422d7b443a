package org.isthmus.kernels;

/**
 * How {@link Backends} finds a backend ({@link java.util.ServiceLoader}). A provider is cheap
 * to construct and must not touch optional classes or native libraries until {@link #load()}:
 * that is where it finds out whether its backend can run here.
 */
public interface BackendProvider {

    /** The backend's name, as users select it. */
    String name();

    /** Rank for {@code auto}: among the available backends, the highest one is chosen. */
    int priority();

    /**
     * Creates the backend, or throws {@link BackendUnavailableException} saying why it cannot
     * run here (with the underlying failure as its cause). Called at most once per JVM.
     */
    Backend load() throws BackendUnavailableException;
}
