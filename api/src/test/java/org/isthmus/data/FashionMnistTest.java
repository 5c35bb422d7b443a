package org.isthmus.data;

import static org.isthmus.data.IdxFiles.gzip;
import static org.isthmus.data.IdxFiles.idx;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The three places Fashion-MNIST comes from, and what the loaded data looks like. */
class FashionMnistTest {

    @TempDir
    Path folder;

    private static int[] classCounts(TensorDataset data) {
        int[] counts = new int[10];
        for (int label : data.labels()) {
            counts[label]++;
        }
        return counts;
    }

    @Test
    void embeddedSubsetIsShapedAndScaled() throws IOException {
        FashionMnist data = FashionMnist.embedded();
        assertTrue(data.source().startsWith("embedded subset (2000 training and 500 test images"), data.source());
        assertArrayEquals(new int[] {2000, 1, 28, 28}, data.train().inputs().shape());
        assertArrayEquals(new int[] {500, 1, 28, 28}, data.test().inputs().shape());
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (float v : data.train().inputs().toArray()) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        assertEquals(0f, min);
        assertEquals(1f, max);
        for (int count : classCounts(data.train())) {
            assertTrue(count >= 150, "every class is there: " + count);
        }
        for (int count : classCounts(data.test())) {
            assertTrue(count >= 30, "every class is there: " + count);
        }
        assertEquals(10, FashionMnist.CLASS_NAMES.size());
        assertEquals("Ankle boot", FashionMnist.CLASS_NAMES.get(9));
        assertEquals("T-shirt/top", FashionMnist.CLASS_NAMES.get(0));
    }

    @Test
    void folderFromTheDataArgument() throws IOException {
        byte[] pixels = new byte[2 * 784];
        pixels[0] = (byte) 255;
        pixels[784 + 29] = 51;
        Files.write(folder.resolve("train-images-idx3-ubyte"), idx(IdxReader.IMAGES_MAGIC, new int[] {2, 28, 28}, pixels));
        Files.write(folder.resolve("train-labels-idx1-ubyte.gz"), gzip(idx(IdxReader.LABELS_MAGIC, new int[] {2}, new byte[] {3, 9})));
        Files.write(folder.resolve("t10k-images-idx3-ubyte.gz"), gzip(idx(IdxReader.IMAGES_MAGIC, new int[] {1, 28, 28}, new byte[784])));
        Files.write(folder.resolve("t10k-labels-idx1-ubyte"), idx(IdxReader.LABELS_MAGIC, new int[] {1}, new byte[] {0}));

        FashionMnist data = FashionMnist.load("--epochs", "3", "--data", folder.toString());
        assertEquals("--data " + folder + " (2 training and 1 test images)", data.source());
        assertEquals(1f, data.train().inputs().get(0, 0, 0, 0));
        assertEquals(0.2f, data.train().inputs().get(1, 0, 1, 1));
        assertArrayEquals(new int[] {3, 9}, data.train().labels());
        assertEquals(1, data.test().size());
        assertEquals(data.source(), FashionMnist.load("--data=" + folder).source());

        Files.write(folder.resolve("t10k-labels-idx1-ubyte"), idx(IdxReader.LABELS_MAGIC, new int[] {1}, new byte[] {10}));
        IOException badLabel = assertThrows(IOException.class, () -> FashionMnist.fromFolder(folder));
        assertTrue(badLabel.getMessage().contains("label 0 is 10"), badLabel.getMessage());
        Files.write(folder.resolve("t10k-labels-idx1-ubyte"), idx(IdxReader.LABELS_MAGIC, new int[] {2}, new byte[2]));
        IOException counts = assertThrows(IOException.class, () -> FashionMnist.fromFolder(folder));
        assertTrue(counts.getMessage().contains("holds 1 images but t10k-labels-idx1-ubyte holds 2 labels"), counts.getMessage());
        Files.delete(folder.resolve("t10k-labels-idx1-ubyte"));
        IOException missing = assertThrows(IOException.class, () -> FashionMnist.load("--data", folder.toString()));
        assertTrue(missing.getMessage().contains("neither t10k-labels-idx1-ubyte.gz nor t10k-labels-idx1-ubyte"),
                missing.getMessage());
        assertThrows(IllegalArgumentException.class, () -> FashionMnist.load("--data"));
    }

    @Test
    void systemFolderWhenInstalledAndTheSubsetComesFromItsTestSet() throws IOException {
        assumeTrue(Files.isDirectory(Path.of(FashionMnist.SYSTEM_FOLDER)), "Debian's dataset-fashion-mnist is not installed");
        FashionMnist system = FashionMnist.load();
        assertEquals(FashionMnist.SYSTEM_FOLDER + " (Debian dataset-fashion-mnist) (60000 training and 10000 test images)",
                system.source());
        assertArrayEquals(new int[] {60_000, 1, 28, 28}, system.train().inputs().shape());
        assertArrayEquals(new int[] {10_000, 1, 28, 28}, system.test().inputs().shape());

        FashionMnist embedded = FashionMnist.embedded();
        float[] subsetTest = embedded.test().inputs().toArray();
        float[] officialTest = system.test().inputs().narrow(0, 2000, 500).toArray();
        assertArrayEquals(officialTest, subsetTest, "embedded test = official t10k images 2000-2499");
        assertArrayEquals(system.test().inputs().narrow(0, 0, 2000).toArray(), embedded.train().inputs().toArray(),
                "embedded train = official t10k images 0-1999");
    }
}
