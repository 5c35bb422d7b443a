package org.isthmus.ffi.onednn;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Properties;

/**
 * Per op, the size from which oneDNN beats the vector kernels on this kind of machine: measured by
 * the bench (bench/NOTES.md, "oneDNN") and shipped as {@code crossover.properties} beside this class.
 * Overridable, in increasing precedence, by a properties file named by {@code -Disthmus.crossover.file}
 * and by one system property per op, {@code -Disthmus.crossover.<op>=<size>} (0: always oneDNN,
 * {@link Long#MAX_VALUE}: never).
 *
 * <p>Sizes: sgemm counts m·n·k multiply-adds, conv2d its multiply-adds
 * (N·K·OH·OW·C·kh·kw), softmax and layerNorm the elements of the matrix. A backward pass follows
 * its forward op's threshold.
 *
 * @param sgemm     m·n·k from which {@code dnnl_sgemm} is used
 * @param conv2d    multiply-adds from which the oneDNN convolution is used
 * @param softmax   elements from which oneDNN's softmax and logSoftmax are used
 * @param layerNorm elements from which oneDNN's layer normalization is used
 */
record Crossover(long sgemm, long conv2d, long softmax, long layerNorm) {

    static final String RESOURCE = "crossover.properties";

    /** The shipped table with the overrides applied. */
    static Crossover load() {
        Properties table = new Properties();
        try (InputStream in = Crossover.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the isthmus-native jar");
            }
            table.load(in);
            String file = System.getProperty("isthmus.crossover.file");
            if (file != null && !file.isBlank()) {
                try (InputStream override = Files.newInputStream(Path.of(file))) {
                    table.load(override);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the crossover table", e);
        }
        return new Crossover(size(table, "sgemm"), size(table, "conv2d"), size(table, "softmax"),
                size(table, "layerNorm"));
    }

    private static long size(Properties table, String op) {
        String value = System.getProperty("isthmus.crossover." + op, table.getProperty(op));
        if (value == null) {
            throw new IllegalStateException("the crossover table has no entry for " + op);
        }
        String trimmed = value.trim().toLowerCase(Locale.ROOT);
        if (trimmed.equals("never")) {
            return Long.MAX_VALUE;
        }
        try {
            return Long.parseLong(trimmed.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("crossover size for " + op + " is not a number or 'never': " + value, e);
        }
    }

    @Override
    public String toString() {
        return "oneDNN from sgemm m·n·k >= " + sgemm + ", conv2d MACs >= " + conv2d + ", softmax elements >= "
                + softmax + ", layerNorm elements >= " + layerNorm;
    }
}
