package org.isthmus.io;

import java.io.IOException;
import java.nio.file.Path;

/** A file that is not a valid safetensors checkpoint (or one this reader refuses); names the file and the fault. */
public final class SafetensorsException extends IOException {

    private final Path file;

    SafetensorsException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    SafetensorsException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    /** The file that was refused. */
    public Path file() {
        return file;
    }
}
