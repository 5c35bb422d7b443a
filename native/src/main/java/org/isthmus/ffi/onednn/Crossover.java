package org.isthmus.ffi.onednn;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Properties;
import org.isthmus.kernels.Conv2dShape;

/**
 * Per op, the size from which oneDNN beats the vector kernels on this kind of machine: measured by
 * the bench (bench/NOTES.md, "oneDNN") and shipped as {@code crossover.properties} beside this class.
 * Overridable, in increasing precedence, by a properties file named by {@code -Disthmus.crossover.file}
 * and by one system property per op, {@code -Disthmus.crossover.<op>=<size>} (0: always oneDNN,
 * {@link Long#MAX_VALUE}: never).
 *
 * <p>Sizes: sgemm counts m·n·k multiply-adds, conv2d its multiply-adds
 * (N·K·OH·OW·C·kh·kw), softmax and layerNorm the elements of the matrix. A backward pass follows
 * its forward op's threshold. Convolutions come in two classes, because the vector backend runs them
 * with different algorithms: 3×3 kernels at stride 1 and dilation 1, the same padding of at most 2
 * on both axes, with at least {@value #MIN_3X3_CHANNELS} input and output channels
 * ({@code conv2d3x3}: Winograd on the vector side), and every other ungrouped convolution ({@code conv2d}).
 *
 * @param sgemm     m·n·k from which {@code dnnl_sgemm} is used
 * @param conv2d    multiply-adds from which the oneDNN convolution is used, outside the 3×3 class
 * @param conv2d3x3 multiply-adds from which the oneDNN convolution is used for the 3×3 class
 * @param softmax   elements from which oneDNN's softmax and logSoftmax are used
 * @param layerNorm elements from which oneDNN's layer normalization is used
 */
record Crossover(long sgemm, long conv2d, long conv2d3x3, long softmax, long layerNorm) {

    /** Fewest input and output channels of the 3×3 class (the vector backend's Winograd threshold). */
    static final int MIN_3X3_CHANNELS = 16;

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
        return new Crossover(size(table, "sgemm"), size(table, "conv2d"), size(table, "conv2d3x3"),
                size(table, "softmax"), size(table, "layerNorm"));
    }

    /**
     * The threshold for this convolution's class. Grouped convolutions never go to oneDNN: on NCHW
     * activations its depthwise primitives ran 2–40 times slower than the vector kernels at every
     * layer measured (bench/NOTES.md, "Depthwise convolution").
     */
    long conv2d(Conv2dShape shape, int groups) {
        if (groups > 1) {
            return Long.MAX_VALUE;
        }
        boolean threeByThree = shape.kernelHeight() == 3 && shape.kernelWidth() == 3 && shape.strideH() == 1
                && shape.strideW() == 1 && shape.dilationH() == 1 && shape.dilationW() == 1
                && shape.padH() == shape.padW() && shape.padH() <= 2
                && shape.inChannels() >= MIN_3X3_CHANNELS && shape.outChannels() >= MIN_3X3_CHANNELS;
        return threeByThree ? conv2d3x3 : conv2d;
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
        return "oneDNN from sgemm m·n·k >= " + sgemm + ", conv2d MACs >= " + conv2d + " (3x3 stride-1: >= "
                + conv2d3x3 + "), softmax elements >= " + softmax + ", layerNorm elements >= " + layerNorm;
    }
}
