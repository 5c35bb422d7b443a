package org.isthmus.ffi.onednn;

/** A oneDNN call that returned a status other than {@code dnnl_success}. */
public final class OneDnnException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String function;
    private final int status;

    OneDnnException(String function, int status, String meaning) {
        super("oneDNN: " + function + " failed with status " + status + " (" + meaning + ")");
        this.function = function;
        this.status = status;
    }

    /** The oneDNN function that failed. */
    public String function() {
        return function;
    }

    /** Its {@code dnnl_status_t}. */
    public int status() {
        return status;
    }
}
