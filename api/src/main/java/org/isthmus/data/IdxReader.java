package org.isthmus.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.isthmus.io.FileFormatException;

/**
 * Reads the IDX files MNIST and Fashion-MNIST come in, plain or gzipped (told apart by the gzip magic
 * bytes 1f 8b, not the file name): a big-endian magic number {@code 00 00 type dims}, one 32-bit
 * big-endian size per dimension, then the elements in row-major order.
 *
 * <p>Only unsigned bytes (type 0x08) are read. Everything is checked and the whole file is read before
 * anything is returned: a wrong magic number, an unsupported type, the wrong number of dimensions, a
 * file shorter or longer than its sizes say, or a damaged gzip stream is a {@link FileFormatException}
 * naming the file and the fault, never a partial array.
 */
public final class IdxReader {

    /** Magic number of a 3-D unsigned-byte IDX file (images: count, rows, columns). */
    public static final int IMAGES_MAGIC = 0x00000803;
    /** Magic number of a 1-D unsigned-byte IDX file (labels). */
    public static final int LABELS_MAGIC = 0x00000801;

    private static final int UNSIGNED_BYTE = 0x08;
    /** Largest Java array we allocate. */
    private static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    /** The sizes and unsigned-byte elements of one IDX file. */
    public record IdxArray(int[] dimensions, byte[] values) {

        /** Element i (row-major) as 0..255. */
        public int unsigned(int i) {
            return values[i] & 0xff;
        }
    }

    private IdxReader() {
    }

    /** Images: a 3-D unsigned-byte array [count, rows, columns] (magic 0x00000803). */
    public static IdxArray readImages(Path file) throws IOException {
        return read(file, IMAGES_MAGIC);
    }

    /** Labels: a 1-D unsigned-byte array [count] (magic 0x00000801). */
    public static IdxArray readLabels(Path file) throws IOException {
        return read(file, LABELS_MAGIC);
    }

    /** The IDX array in file, which must carry the expected magic number. */
    public static IdxArray read(Path file, int expectedMagic) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString(), expectedMagic);
        }
    }

    /** The IDX array in a stream (not closed here); source names it in errors. */
    public static IdxArray read(InputStream stream, String source, int expectedMagic) throws IOException {
        BufferedInputStream buffered = new BufferedInputStream(stream, 1 << 16);
        buffered.mark(2);
        boolean gzipped = buffered.read() == 0x1f && buffered.read() == 0x8b;
        buffered.reset();
        try {
            InputStream raw = gzipped ? new GZIPInputStream(buffered, 1 << 16) : buffered;
            return parse(raw, source, expectedMagic);
        } catch (ZipException e) {
            throw new FileFormatException(source, "the gzip data is corrupt (" + e.getMessage() + ")", e);
        } catch (EOFException e) {
            // Only GZIPInputStream throws it: parse reads the header and data without readFully.
            throw new FileFormatException(source, "the gzip stream is truncated (" + e.getMessage() + ")", e);
        }
    }

    private static IdxArray parse(InputStream in, String source, int expectedMagic) throws IOException {
        int magic = readHeaderInt(in, source, "magic number");
        if ((magic >>> 16) != 0) {
            throw new FileFormatException(source, String.format("not an IDX file: magic number 0x%08x does not start with "
                    + "two zero bytes (expected 0x%08x)", magic, expectedMagic));
        }
        int type = (magic >>> 8) & 0xff;
        int rank = magic & 0xff;
        if (type != UNSIGNED_BYTE) {
            throw new FileFormatException(source, String.format("element type 0x%02x (%s) is not supported; only unsigned "
                    + "bytes (0x08) are read", type, typeName(type)));
        }
        if (magic != expectedMagic) {
            throw new FileFormatException(source, String.format("holds a %d-D array (magic 0x%08x) where a %d-D one "
                    + "(magic 0x%08x) was expected", rank, magic, expectedMagic & 0xff, expectedMagic));
        }
        int[] dimensions = new int[rank];
        long elements = 1;
        for (int d = 0; d < rank; d++) {
            dimensions[d] = readHeaderInt(in, source, "size of dimension " + d);
            if (dimensions[d] < 0) {
                throw new FileFormatException(source, "dimension " + d + " has the negative size " + dimensions[d]);
            }
            elements = Math.min(elements * dimensions[d], MAX_ELEMENTS + 1);
        }
        if (elements > MAX_ELEMENTS) {
            throw new FileFormatException(source, "the sizes " + Arrays.toString(dimensions) + " describe more than "
                    + MAX_ELEMENTS + " elements");
        }
        byte[] values = new byte[(int) elements];
        int read = in.readNBytes(values, 0, values.length);
        if (read < values.length) {
            throw new FileFormatException(source, "truncated: the sizes " + Arrays.toString(dimensions) + " need "
                    + values.length + " bytes of data after the header but only " + read + " follow");
        }
        long extra = 0;
        while (in.read() >= 0) {
            extra++;
        }
        if (extra > 0) {
            throw new FileFormatException(source, extra + " bytes follow the " + values.length + " that the sizes "
                    + Arrays.toString(dimensions) + " describe");
        }
        return new IdxArray(dimensions, values);
    }

    private static int readHeaderInt(InputStream in, String source, String what) throws IOException {
        int value = 0;
        for (int i = 0; i < 4; i++) {
            int b = in.read();
            if (b < 0) {
                throw new FileFormatException(source, "truncated: the file ends inside the header, in the " + what);
            }
            value = value << 8 | b;
        }
        return value;
    }

    private static String typeName(int type) {
        return switch (type) {
            case 0x09 -> "signed byte";
            case 0x0B -> "short";
            case 0x0C -> "int";
            case 0x0D -> "float";
            case 0x0E -> "double";
            default -> "unknown";
        };
    }
}
