package org.isthmus.data;

import static org.isthmus.data.IdxFiles.gzip;
import static org.isthmus.data.IdxFiles.idx;
import static org.isthmus.data.IdxFiles.sequence;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.isthmus.io.FileFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** IDX parsing, plain and gzipped, and every way a file is refused. */
class IdxReaderTest {

    @TempDir
    Path folder;

    private Path file(String name, byte[] bytes) throws IOException {
        return Files.write(folder.resolve(name), bytes);
    }

    private void assertRefused(Path file, int magic, String expected) {
        FileFormatException error = assertThrows(FileFormatException.class, () -> IdxReader.read(file, magic));
        assertTrue(error.getMessage().startsWith(file.toString() + ": "), error.getMessage());
        assertTrue(error.getMessage().contains(expected), error.getMessage());
        assertEquals(file.toString(), error.source());
    }

    @Test
    void readsPlainAndGzippedAlike() throws IOException {
        byte[] plain = idx(IdxReader.IMAGES_MAGIC, new int[] {2, 3, 4}, sequence(24));
        // Named .gz but plain, and the other way round: the magic bytes decide, not the name.
        IdxReader.IdxArray fromPlain = IdxReader.readImages(file("plain.gz", plain));
        IdxReader.IdxArray fromGzip = IdxReader.readImages(file("gzipped", gzip(plain)));
        assertArrayEquals(new int[] {2, 3, 4}, fromPlain.dimensions());
        assertArrayEquals(sequence(24), fromPlain.values());
        assertArrayEquals(fromPlain.dimensions(), fromGzip.dimensions());
        assertArrayEquals(fromPlain.values(), fromGzip.values());

        byte[] labels = {0, 9, (byte) 200};
        IdxReader.IdxArray read = IdxReader.readLabels(file("labels", idx(IdxReader.LABELS_MAGIC, new int[] {3}, labels)));
        assertEquals(200, read.unsigned(2), "bytes are unsigned");
    }

    @Test
    void wrongMagicTypeOrRankIsRefused() throws IOException {
        assertRefused(file("text", "hello, world".getBytes()), IdxReader.IMAGES_MAGIC, "not an IDX file");
        assertRefused(file("floats", idx(0x00000D03, new int[] {1, 1, 1}, new byte[4])), IdxReader.IMAGES_MAGIC,
                "element type 0x0d (float) is not supported");
        assertRefused(file("signed", idx(0x00000901, new int[] {1}, new byte[1])), IdxReader.LABELS_MAGIC,
                "element type 0x09 (signed byte)");
        assertRefused(file("labels-as-images", idx(IdxReader.LABELS_MAGIC, new int[] {3}, new byte[3])),
                IdxReader.IMAGES_MAGIC, "holds a 1-D array (magic 0x00000801) where a 3-D one (magic 0x00000803)");
        assertRefused(file("negative", idx(IdxReader.LABELS_MAGIC, new int[] {-3}, new byte[0])),
                IdxReader.LABELS_MAGIC, "negative size -3");
        assertRefused(file("huge", idx(IdxReader.IMAGES_MAGIC, new int[] {60_000, 60_000, 28}, new byte[0])),
                IdxReader.IMAGES_MAGIC, "describe more than");
    }

    @Test
    void truncatedOrPaddedFilesAreRefused() throws IOException {
        byte[] whole = idx(IdxReader.IMAGES_MAGIC, new int[] {1, 3, 4}, sequence(12));
        assertRefused(file("short-data", Arrays.copyOf(whole, whole.length - 4)), IdxReader.IMAGES_MAGIC,
                "need 12 bytes of data after the header but only 8 follow");
        assertRefused(file("short-header", Arrays.copyOf(whole, 10)), IdxReader.IMAGES_MAGIC,
                "ends inside the header, in the size of dimension 1");
        assertRefused(file("empty", new byte[0]), IdxReader.IMAGES_MAGIC, "in the magic number");
        assertRefused(file("long", Arrays.copyOf(whole, whole.length + 3)), IdxReader.IMAGES_MAGIC,
                "3 bytes follow the 12");
        // A whole gzip stream of a short file is still short.
        assertRefused(file("short-data.gz", gzip(Arrays.copyOf(whole, whole.length - 1))), IdxReader.IMAGES_MAGIC,
                "only 11 follow");
    }

    @Test
    void damagedGzipIsRefused() throws IOException {
        byte[] compressed = gzip(idx(IdxReader.IMAGES_MAGIC, new int[] {10, 28, 28}, sequence(7840)));
        assertRefused(file("cut.gz", Arrays.copyOf(compressed, compressed.length / 2)), IdxReader.IMAGES_MAGIC,
                "gzip stream is truncated");
        byte[] badChecksum = compressed.clone();
        badChecksum[badChecksum.length - 6] ^= 0x55; // inside the CRC-32 of the trailer
        assertRefused(file("crc.gz", badChecksum), IdxReader.IMAGES_MAGIC, "gzip data is corrupt");
    }

    @Test
    void readsTheSystemLabelsWhenInstalled() throws IOException {
        Path labels = Path.of(FashionMnist.SYSTEM_FOLDER, "t10k-labels-idx1-ubyte.gz");
        assumeTrue(Files.isRegularFile(labels), "Debian's dataset-fashion-mnist is not installed");
        IdxReader.IdxArray read = IdxReader.readLabels(labels);
        assertArrayEquals(new int[] {10_000}, read.dimensions());
        assertEquals(9, read.unsigned(0), "the first test image is an ankle boot");
    }
}
