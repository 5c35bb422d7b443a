package org.isthmus.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.NoSuchElementException;
import org.isthmus.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Data sets over tensors, batching, seeded shuffling, and the prefetch thread's life. */
class DataLoaderTest {

    /** n examples of shape [2, 3] where every element of example i is i (so a batch shows its order); label i % 5. */
    private static TensorDataset numbered(int n) {
        float[] values = new float[n * 6];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            Arrays.fill(values, i * 6, i * 6 + 6, i);
            labels[i] = i % 5;
        }
        return new TensorDataset(Tensor.fromArray(values, n, 2, 3), labels);
    }

    /** The example indices in a batch of numbered(n), read back from its inputs. */
    private static int[] indices(Batch batch) {
        float[] values = batch.inputs().toArray();
        int[] indices = new int[batch.size()];
        for (int i = 0; i < indices.length; i++) {
            indices[i] = (int) values[i * 6];
            for (int k = 0; k < 6; k++) {
                assertEquals(indices[i], values[i * 6 + k], "example copied whole");
            }
            assertEquals(indices[i] % 5, batch.labels().get(i), "label travels with its example");
        }
        return indices;
    }

    private static List<Batch> all(DataLoader.EpochIterator epoch) {
        List<Batch> batches = new ArrayList<>();
        try (epoch) {
            epoch.forEachRemaining(batches::add);
        }
        return batches;
    }

    private static int[] visited(List<Batch> batches) {
        return batches.stream().flatMapToInt(b -> Arrays.stream(indices(b))).toArray();
    }

    private static int[] range(int n) {
        int[] range = new int[n];
        Arrays.setAll(range, i -> i);
        return range;
    }

    private static boolean threadAlive(String name) {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals(name) && t.isAlive());
    }

    private static void awaitThreadGone(String name, boolean collectGarbage) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (threadAlive(name) && System.nanoTime() < deadline) {
            if (collectGarbage) {
                System.gc();
            }
            Thread.sleep(20);
        }
        assertFalse(threadAlive(name), name + " still running after 10 s");
    }

    @Test
    void tensorDatasetCopiesExamplesFromViews() {
        Tensor all = Tensor.arange(0, 24, 1).reshape(4, 3, 2);
        TensorDataset rows = new TensorDataset(all.narrow(0, 1, 2), new int[] {7, 8});
        assertArrayEquals(new int[] {3, 2}, rows.exampleShape());
        assertEquals(6, rows.exampleSize());
        float[] out = new float[8];
        rows.copyInput(1, out, 2);
        assertArrayEquals(new float[] {0, 0, 12, 13, 14, 15, 16, 17}, out, "offset view");
        TensorDataset transposed = new TensorDataset(all.transpose(1, 2), new int[4]);
        assertArrayEquals(new float[] {6, 8, 10, 7, 9, 11}, transposed.get(1).input().toArray(), "strided view, row-major");
        Example example = rows.get(0);
        assertArrayEquals(new int[] {3, 2}, example.input().shape());
        assertEquals(7, example.label());
        assertThrows(IndexOutOfBoundsException.class, () -> rows.copyInput(2, out, 0));
        IllegalArgumentException mismatch = assertThrows(IllegalArgumentException.class,
                () -> new TensorDataset(all, new int[3]));
        assertTrue(mismatch.getMessage().contains("4 examples") && mismatch.getMessage().contains("3 labels"),
                mismatch.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new TensorDataset(all, new int[] {0, 1, -1, 2}));
    }

    @Test
    void batchesInOrderWithAShortLastBatch() {
        DataLoader loader = DataLoader.builder(numbered(10)).batchSize(4).build();
        assertEquals(3, loader.batchesPerEpoch());
        List<Batch> batches = all(loader.epoch(0));
        assertEquals(List.of(4, 4, 2), batches.stream().map(Batch::size).toList());
        assertArrayEquals(new int[] {4, 2, 3}, batches.get(0).inputs().shape());
        assertArrayEquals(new int[] {2}, batches.get(2).labels().shape());
        assertArrayEquals(range(10), visited(batches));
        assertArrayEquals(new float[] {3, 4}, batches.get(2).labels().toArray(), "labels hold class indices 0-4");

        DataLoader dropping = DataLoader.builder(numbered(10)).batchSize(4).dropLast(true).build();
        assertEquals(2, dropping.batchesPerEpoch());
        assertArrayEquals(range(8), visited(all(dropping.epoch(0))));
    }

    @Test
    void shuffleIsAPermutationPerEpochFromTheSeed() {
        DataLoader loader = DataLoader.builder(numbered(101)).batchSize(8).shuffle(42).build();
        int[] epoch0 = visited(all(loader.epoch(0)));
        int[] epoch1 = visited(all(loader.epoch(1)));
        assertArrayEquals(range(101), Arrays.stream(epoch0).sorted().toArray(), "every example once");
        assertArrayEquals(range(101), Arrays.stream(epoch1).sorted().toArray(), "every example once");
        assertFalse(Arrays.equals(epoch0, range(101)), "shuffled");
        assertFalse(Arrays.equals(epoch0, epoch1), "a new order each epoch");
        assertArrayEquals(loader.order(1), epoch1);

        DataLoader again = DataLoader.builder(numbered(101)).batchSize(8).shuffle(42).prefetch(false).build();
        assertArrayEquals(epoch1, visited(all(again.epoch(1))), "epoch 1 alone, no prefetch: the same order");
        DataLoader otherSeed = DataLoader.builder(numbered(101)).batchSize(8).shuffle(43).build();
        assertNotEquals(Arrays.toString(epoch0), Arrays.toString(otherSeed.order(0)));
    }

    @Test
    void forEachRunsSuccessiveEpochs() {
        DataLoader loader = DataLoader.builder(numbered(9)).batchSize(3).shuffle(7).build();
        for (int epoch = 0; epoch < 3; epoch++) {
            List<Batch> batches = new ArrayList<>();
            for (Batch batch : loader) {
                batches.add(batch);
            }
            assertArrayEquals(loader.order(epoch), visited(batches), "epoch " + epoch);
        }
    }

    @Test
    void closingEarlyStopsThePrefetchThread() throws InterruptedException {
        DataLoader loader = DataLoader.builder(numbered(50)).batchSize(2).build();
        DataLoader.EpochIterator epoch = loader.epoch(7001);
        assertEquals(2, epoch.next().size());
        assertTrue(threadAlive("isthmus-dataloader-epoch-7001"));
        epoch.close();
        awaitThreadGone("isthmus-dataloader-epoch-7001", false);
        assertFalse(epoch.hasNext());
        assertThrows(NoSuchElementException.class, epoch::next);
        epoch.close();
    }

    @Test
    void abandonedIteratorReleasesItsThread() throws InterruptedException {
        DataLoader loader = DataLoader.builder(numbered(50)).batchSize(2).build();
        assertEquals(2, loader.epoch(7002).next().size());
        awaitThreadGone("isthmus-dataloader-epoch-7002", true);
    }

    @Test
    void finishedEpochLeavesNoThread() throws InterruptedException {
        DataLoader loader = DataLoader.builder(numbered(5)).batchSize(2).build();
        DataLoader.EpochIterator epoch = loader.epoch(7003);
        epoch.forEachRemaining(batch -> { });
        awaitThreadGone("isthmus-dataloader-epoch-7003", false);
    }

    @Test
    void aFailingDatasetSurfacesInTheCaller() {
        RuntimeException broken = new RuntimeException("disk gone");
        Dataset failing = new Dataset() {
            @Override
            public int size() {
                return 6;
            }

            @Override
            public int[] exampleShape() {
                return new int[] {1};
            }

            @Override
            public int label(int index) {
                return 0;
            }

            @Override
            public void copyInput(int index, float[] destination, int offset) {
                if (index == 4) {
                    throw broken;
                }
                destination[offset] = index;
            }
        };
        for (boolean prefetch : new boolean[] {true, false}) {
            DataLoader.EpochIterator epoch = DataLoader.builder(failing).batchSize(2).prefetch(prefetch).build().epoch(0);
            epoch.next();
            epoch.next();
            RuntimeException error = assertThrows(RuntimeException.class, epoch::next);
            assertSame(broken, prefetch ? error.getCause() : error, "prefetch " + prefetch);
            assertFalse(epoch.hasNext(), "a failed epoch is over");
        }
    }

    @Test
    void emptyDatasetHasNoBatches() {
        DataLoader loader = DataLoader.builder(numbered(0)).batchSize(4).build();
        assertEquals(0, loader.batchesPerEpoch());
        assertFalse(loader.epoch(0).hasNext());
        assertThrows(IllegalArgumentException.class, () -> DataLoader.builder(numbered(3)).batchSize(0));
    }
}
