package org.isthmus.ffi.cublas;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Properties;

/**
 * The sgemm size (m·n·k) from which the GPU, transfers included, beats the CPU: shipped as
 * {@code gpu-crossover.properties} beside this class, overridable like the oneDNN crossover table, in
 * increasing precedence by the key {@code cublas} of the file named by {@code -Disthmus.crossover.file}
 * and by {@code -Disthmus.crossover.cublas=<m·n·k>} (0: always the GPU, {@code never}: never).
 */
record GpuCrossover(long sgemm) {

    static final String RESOURCE = "gpu-crossover.properties";
    static final String KEY = "cublas";

    static GpuCrossover load() {
        Properties table = new Properties();
        try (InputStream in = GpuCrossover.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the isthmus-native jar");
            }
            table.load(in);
            String file = System.getProperty("isthmus.crossover.file");
            if (file != null && !file.isBlank()) {
                Properties override = new Properties();
                try (InputStream overrideIn = Files.newInputStream(Path.of(file))) {
                    override.load(overrideIn);
                }
                if (override.getProperty(KEY) != null) {
                    table.setProperty(KEY, override.getProperty(KEY));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the GPU crossover size", e);
        }
        String value = System.getProperty("isthmus.crossover." + KEY, table.getProperty(KEY));
        if (value == null) {
            throw new IllegalStateException(RESOURCE + " has no entry " + KEY);
        }
        String trimmed = value.trim().toLowerCase(Locale.ROOT);
        if (trimmed.equals("never")) {
            return new GpuCrossover(Long.MAX_VALUE);
        }
        try {
            return new GpuCrossover(Long.parseLong(trimmed.replace("_", "")));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("GPU crossover size is not a number or 'never': " + value, e);
        }
    }

    boolean onGpu(int m, int n, int k) {
        return (long) m * n * k >= sgemm;
    }

    @Override
    public String toString() {
        return sgemm == Long.MAX_VALUE ? "sgemm never on the GPU" : "sgemm on the GPU from m·n·k >= " + sgemm;
    }
}
