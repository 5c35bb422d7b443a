package org.isthmus.cli;

import org.isthmus.data.Batch;
import org.isthmus.data.DataLoader;
import org.isthmus.data.Dataset;
import org.isthmus.metrics.Average;
import org.isthmus.metrics.ConfusionMatrix;
import org.isthmus.metrics.Metrics;
import org.isthmus.nn.Loss;
import org.isthmus.nn.Module;
import org.isthmus.nn.Reduction;
import org.isthmus.tensor.Autograd;
import org.isthmus.tensor.Tensor;

/** A model's loss, accuracy and macro-F1 on a data set, computed in evaluation mode without a graph. */
record Evaluation(double loss, double accuracy, double macroF1, ConfusionMatrix confusion) {

    static final int CLASSES = 10;

    static Evaluation of(Module model, Dataset data, int batchSize) {
        model.eval();
        int[] predicted = new int[data.size()];
        int[] actual = new int[data.size()];
        double lossSum = 0;
        int done = 0;
        Loss loss = Loss.crossEntropy(0f, Reduction.SUM);
        DataLoader loader = DataLoader.builder(data).batchSize(batchSize).build();
        try (Autograd.Scope ignored = Autograd.noGrad(); DataLoader.EpochIterator batches = loader.epoch(0)) {
            while (batches.hasNext()) {
                Batch batch = batches.next();
                Tensor logits = model.forward(batch.inputs());
                lossSum += loss.apply(logits, batch.labels()).item();
                int[] guesses = Metrics.argmaxRows(logits);
                int[] labels = Metrics.classIndices(batch.labels());
                System.arraycopy(guesses, 0, predicted, done, guesses.length);
                System.arraycopy(labels, 0, actual, done, labels.length);
                done += guesses.length;
            }
        }
        model.train();
        ConfusionMatrix confusion = ConfusionMatrix.of(predicted, actual, CLASSES);
        return new Evaluation(lossSum / data.size(), confusion.accuracy(), confusion.f1(Average.MACRO), confusion);
    }
}
