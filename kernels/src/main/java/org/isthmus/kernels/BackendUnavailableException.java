package org.isthmus.kernels;

/** A backend that cannot run on this machine, with the reason (and its cause, when there is one). */
public final class BackendUnavailableException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String backend;

    public BackendUnavailableException(String backend, String reason, Throwable cause) {
        super("backend '" + backend + "' is unavailable: " + reason, cause);
        this.backend = backend;
    }

    public BackendUnavailableException(String backend, String reason) {
        this(backend, reason, null);
    }

    public String backend() {
        return backend;
    }
}
