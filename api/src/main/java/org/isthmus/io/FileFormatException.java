package org.isthmus.io;

import java.io.IOException;

/**
 * A file that is truncated, corrupt, or of a kind its reader refuses (a safetensors checkpoint, an IDX
 * data file…). The message starts with the file and says what is wrong with it.
 */
public final class FileFormatException extends IOException {

    private final String source;

    public FileFormatException(String source, String problem) {
        super(source + ": " + problem);
        this.source = source;
    }

    public FileFormatException(String source, String problem, Throwable cause) {
        super(source + ": " + problem, cause);
        this.source = source;
    }

    /** The file (or class-path resource) that was refused. */
    public String source() {
        return source;
    }
}
