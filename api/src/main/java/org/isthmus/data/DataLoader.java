package org.isthmus.data;

import java.lang.ref.Cleaner;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import org.isthmus.tensor.Storage;
import org.isthmus.tensor.Tensor;

/**
 * Batches of a {@link Dataset}, one epoch per iteration, as PyTorch's {@code DataLoader}: optional
 * seeded shuffling, an optional short last batch, and a background thread that assembles the next
 * batch while the caller trains on this one.
 *
 * <pre>{@code
 * DataLoader loader = DataLoader.builder(train).batchSize(64).shuffle(42).build();
 * for (int epoch = 0; epoch < 10; epoch++) {
 *     try (DataLoader.EpochIterator batches = loader.epoch(epoch)) {
 *         while (batches.hasNext()) { Batch batch = batches.next(); ... }
 *     }
 * }
 * }</pre>
 *
 * <p>The order of epoch e is a function of the seed and e alone, so a run resumed at epoch e sees the
 * same batches as an uninterrupted one. Each batch is built into fresh arrays with
 * {@link Dataset#copyInput}: the caller may keep it. A plain for-each loop ({@link #iterator()}) runs
 * epochs 0, 1, 2… in turn; when it breaks early the prefetch thread stays parked until the iterator is
 * garbage collected, so close the iterator (try-with-resources on {@link #epoch}) to stop it at once.
 * Prefetch threads are daemons and never keep the JVM alive.
 */
public final class DataLoader implements Iterable<Batch> {

    private static final Cleaner CLEANER = Cleaner.create();

    private final Dataset dataset;
    private final int batchSize;
    private final boolean shuffle;
    private final long seed;
    private final boolean dropLast;
    private final boolean prefetch;
    private int nextEpoch;

    private DataLoader(Builder builder) {
        this.dataset = builder.dataset;
        this.batchSize = builder.batchSize;
        this.shuffle = builder.shuffle;
        this.seed = builder.seed;
        this.dropLast = builder.dropLast;
        this.prefetch = builder.prefetch;
    }

    public static Builder builder(Dataset dataset) {
        return new Builder(dataset);
    }

    /** Configuration; batch size 1, no shuffling, last batch kept, prefetching on. */
    public static final class Builder {

        private final Dataset dataset;
        private int batchSize = 1;
        private boolean shuffle;
        private long seed;
        private boolean dropLast;
        private boolean prefetch = true;

        private Builder(Dataset dataset) {
            this.dataset = dataset;
        }

        public Builder batchSize(int batchSize) {
            if (batchSize < 1) {
                throw new IllegalArgumentException("batchSize must be at least 1; got " + batchSize);
            }
            this.batchSize = batchSize;
            return this;
        }

        /** Visits the examples in a fresh random order each epoch, drawn from (seed, epoch). */
        public Builder shuffle(long seed) {
            this.shuffle = true;
            this.seed = seed;
            return this;
        }

        /** Leaves out the last batch of an epoch when it holds fewer than batchSize examples. */
        public Builder dropLast(boolean dropLast) {
            this.dropLast = dropLast;
            return this;
        }

        /** Whether a background thread assembles the next batch (on) or next() does it in the caller's thread. */
        public Builder prefetch(boolean prefetch) {
            this.prefetch = prefetch;
            return this;
        }

        public DataLoader build() {
            return new DataLoader(this);
        }
    }

    public Dataset dataset() {
        return dataset;
    }

    public int batchSize() {
        return batchSize;
    }

    /** Batches in one epoch. */
    public int batchesPerEpoch() {
        int n = dataset.size();
        return dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
    }

    /** The order in which epoch visits the examples: a permutation of [0, size) (the identity without shuffle). */
    public int[] order(int epoch) {
        int n = dataset.size();
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        if (shuffle) {
            SplittableRandom random = new SplittableRandom(mix64(seed ^ mix64(epoch + 0x9E3779B97F4A7C15L)));
            for (int i = n - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int swap = order[i];
                order[i] = order[j];
                order[j] = swap;
            }
        }
        return order;
    }

    /** The batches of this epoch; close it to stop its prefetch thread when leaving early. */
    public EpochIterator epoch(int epoch) {
        return new EpochIterator(new BatchSource(dataset, order(epoch), batchSize, batchesPerEpoch()), epoch, prefetch);
    }

    /** The next epoch's batches: 0 on the first call, then 1, 2… */
    @Override
    public EpochIterator iterator() {
        return epoch(nextEpoch++);
    }

    /** The batches of one epoch, in order. */
    public static final class EpochIterator implements Iterator<Batch>, AutoCloseable {

        private final BatchSource source;
        private final Prefetcher prefetcher;
        private final Cleaner.Cleanable cleanable;
        private int delivered;
        private Batch ready;

        private EpochIterator(BatchSource source, int epoch, boolean prefetch) {
            this.source = source;
            if (prefetch && source.batches > 0) {
                // The prefetcher holds no reference to this iterator, so an abandoned iterator is
                // collected and the cleaner stops its thread.
                this.prefetcher = new Prefetcher(source, epoch);
                this.cleanable = CLEANER.register(this, prefetcher::stop);
            } else {
                this.prefetcher = null;
                this.cleanable = null;
            }
        }

        @Override
        public boolean hasNext() {
            return delivered < source.batches;
        }

        @Override
        public Batch next() {
            if (!hasNext()) {
                throw new NoSuchElementException("the epoch has " + source.batches + " batches, all delivered");
            }
            Batch batch;
            try {
                batch = prefetcher == null ? source.batch(delivered) : prefetcher.take(delivered);
            } catch (RuntimeException | Error e) {
                close();
                throw e;
            }
            delivered++;
            if (!hasNext()) {
                close();
            }
            return batch;
        }

        /** Stops the prefetch thread; further next() calls fail. Safe to call more than once. */
        @Override
        public void close() {
            delivered = source.batches;
            if (cleanable != null) {
                cleanable.clean();
            }
        }
    }

    /** Builds batch b of an epoch from the data set; shared by the caller's thread and the prefetcher. */
    private record BatchSource(Dataset dataset, int[] order, int batchSize, int batches) {

        Batch batch(int b) {
            int first = b * batchSize;
            int count = Math.min(batchSize, order.length - first);
            int exampleSize = dataset.exampleSize();
            int[] exampleShape = dataset.exampleShape();
            float[] inputs = new float[Math.multiplyExact(count, exampleSize)];
            float[] labels = new float[count];
            for (int i = 0; i < count; i++) {
                int index = order[first + i];
                dataset.copyInput(index, inputs, i * exampleSize);
                labels[i] = dataset.label(index);
            }
            int[] batchShape = new int[exampleShape.length + 1];
            batchShape[0] = count;
            System.arraycopy(exampleShape, 0, batchShape, 1, exampleShape.length);
            return new Batch(Tensor.of(Storage.wrap(inputs), batchShape), Tensor.of(Storage.wrap(labels), count));
        }
    }

    /** A daemon thread that keeps one assembled batch waiting ahead of the caller. */
    private static final class Prefetcher implements Runnable {

        private record Failure(int batch, Throwable cause) {
        }

        private final BatchSource source;
        private final BlockingQueue<Object> queue = new ArrayBlockingQueue<>(1);
        private final Thread thread;

        Prefetcher(BatchSource source, int epoch) {
            this.source = source;
            this.thread = Thread.ofPlatform().daemon().name("isthmus-dataloader-epoch-" + epoch).start(this);
        }

        @Override
        public void run() {
            int b = 0;
            try {
                for (; b < source.batches; b++) {
                    queue.put(source.batch(b));
                }
            } catch (InterruptedException stopped) {
                // stop() asked for it.
            } catch (RuntimeException | Error e) {
                try {
                    queue.put(new Failure(b, e));
                } catch (InterruptedException stopped) {
                    // Closed before taking the failure: nobody is left to tell.
                }
            }
        }

        Batch take(int b) {
            Object item;
            try {
                item = queue.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                stop();
                throw new IllegalStateException("interrupted while waiting for batch " + b, e);
            }
            if (item instanceof Failure failure) {
                throw new IllegalStateException("assembling batch " + failure.batch() + " failed in the prefetch thread",
                        failure.cause());
            }
            return (Batch) item;
        }

        void stop() {
            thread.interrupt();
            queue.clear();
        }
    }

    /** SplitMix64's finaliser (Stafford's variant 13): spreads nearby seeds and epochs over all 64 bits. */
    private static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
