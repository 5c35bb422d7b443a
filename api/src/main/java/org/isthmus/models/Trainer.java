package org.isthmus.models;

import org.isthmus.data.Batch;
import org.isthmus.data.DataLoader;
import org.isthmus.nn.Loss;
import org.isthmus.nn.Module;
import org.isthmus.optim.LrScheduler;
import org.isthmus.optim.Optimizer;
import org.isthmus.tensor.Tensor;

/** The supervised training loop: zero the gradients, forward, loss, backward, step — batch after batch. */
public final class Trainer {

    /** Told after each batch: its size and the mean loss over the epoch so far. */
    @FunctionalInterface
    public interface Progress {
        void batchDone(int batchSize, double meanLoss);
    }

    private final Module model;
    private final Optimizer optimizer;
    private final Loss loss;
    private final LrScheduler batchSchedule;

    public Trainer(Module model, Optimizer optimizer, Loss loss) {
        this(model, optimizer, loss, null);
    }

    /**
     * A trainer that also steps {@code batchSchedule} after every optimizer step (a schedule counted in
     * batches, such as cosine annealing over the whole run); null for none.
     */
    public Trainer(Module model, Optimizer optimizer, Loss loss, LrScheduler batchSchedule) {
        this.model = model;
        this.optimizer = optimizer;
        this.loss = loss;
        this.batchSchedule = batchSchedule;
    }

    /** One pass over the loader's epoch {@code epoch} (its shuffle), in training mode; returns the mean loss. */
    public double epoch(DataLoader loader, int epoch, Progress progress) {
        model.train();
        double lossSum = 0;
        long samples = 0;
        try (DataLoader.EpochIterator batches = loader.epoch(epoch)) {
            while (batches.hasNext()) {
                Batch batch = batches.next();
                optimizer.zeroGrad();
                Tensor value = loss.apply(model.forward(batch.inputs()), batch.labels());
                value.backward();
                optimizer.step();
                if (batchSchedule != null) {
                    batchSchedule.step();
                }
                lossSum += value.item() * batch.size();
                samples += batch.size();
                progress.batchDone(batch.size(), lossSum / samples);
            }
        }
        return samples == 0 ? Double.NaN : lossSum / samples;
    }
}
