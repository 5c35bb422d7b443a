package org.isthmus.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.isthmus.data.DataLoader;
import org.isthmus.data.FashionMnist;
import org.isthmus.data.Standardization;
import org.isthmus.data.TensorDataset;
import org.isthmus.io.Safetensors;
import org.isthmus.kernels.Backends;
import org.isthmus.nn.Loss;
import org.isthmus.nn.Module;
import org.isthmus.nn.Reduction;
import org.isthmus.models.Trainer;
import org.isthmus.optim.LrScheduler;
import org.isthmus.optim.Optimizer;
import org.isthmus.tensor.Tensor;

/**
 * {@code train}: trains a model on Fashion-MNIST with a progress bar per epoch, reports the test accuracy
 * and macro-F1 after each, and writes the checkpoint, a CSV of the metrics and a PNG plot to --out.
 */
final class TrainCommand {

    static final String CHECKPOINT = "model.safetensors";
    /** Checkpoint metadata: the standardization the model was trained with, applied again by {@code evaluate}. */
    static final String INPUT_MEAN = "input_mean";
    static final String INPUT_STD = "input_std";

    private TrainCommand() {
    }

    static void run(TrainOptions options) throws IOException {
        System.setProperty("isthmus.backend", options.backend());
        System.out.println(Backends.describe());
        Backends.current();
        FashionMnist data = options.data() == null ? FashionMnist.load() : FashionMnist.fromFolder(options.data());
        System.out.println("data: " + data.source() + "; " + data.train().size() + " training, " + data.test().size()
                + " test images");
        TensorDataset train = data.train();
        TensorDataset test = data.test();
        Standardization standardization = null;
        if (options.inputs().equals("standardized")) {
            standardization = Standardization.of(train);
            train = standardization.apply(train);
            test = standardization.apply(test);
            System.out.println("inputs: " + standardization + " (the training set's mean and standard deviation)");
        } else {
            System.out.println("inputs: pixels / 255");
        }
        Module model = TrainOptions.model(options.model(), options.seed());
        Optimizer optimizer = options.newOptimizer(model.parameters());
        DataLoader loader = DataLoader.builder(train).batchSize(options.batch()).shuffle(options.seed())
                .prefetch(true).build();
        LrScheduler schedule = options.newSchedule(optimizer, (long) loader.batchesPerEpoch() * options.epochs());
        Trainer trainer = new Trainer(model, optimizer, Loss.crossEntropy(0f, Reduction.MEAN), schedule);
        System.out.printf(Locale.ROOT, "model %s (%,d parameters), %s lr %g (%s), batch %d, %d epoch(s), seed %d%n",
                options.model(), model.parameters().stream().mapToLong(Tensor::numel).sum(), options.optimizer(),
                options.learningRate(), schedule == null ? "constant" : "cosine to 0 over the run", options.batch(),
                options.epochs(), options.seed());
        RunReport report = new RunReport();
        for (int epoch = 1; epoch <= options.epochs(); epoch++) {
            long start = System.nanoTime();
            double trainLoss;
            try (ProgressBar bar = new ProgressBarBuilder().setTaskName("epoch " + epoch + "/" + options.epochs())
                    .setInitialMax(train.size()).setStyle(ProgressBarStyle.ASCII).setUnit(" img", 1)
                    .setMaxRenderedLength(110).showSpeed().setUpdateIntervalMillis(250).build()) {
                trainLoss = trainer.epoch(loader, epoch - 1, (size, meanLoss) -> {
                    bar.stepBy(size);
                    bar.setExtraMessage(String.format(Locale.ROOT, "loss %.4f", meanLoss));
                });
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            Evaluation evaluation = Evaluation.of(model, test, 1000);
            RunReport.Epoch figures = new RunReport.Epoch(epoch, trainLoss, evaluation.loss(), evaluation.accuracy(),
                    evaluation.macroF1(), train.size() / seconds);
            report.add(figures);
            System.out.printf(Locale.ROOT, "epoch %d: train loss %.4f, test loss %.4f, test accuracy %.2f%%, macro-F1 %.4f,"
                    + " %,.0f samples/s%n", epoch, figures.trainLoss(), figures.testLoss(), 100 * figures.testAccuracy(),
                    figures.macroF1(), figures.samplesPerSecond());
        }
        Files.createDirectories(options.out());
        Path checkpoint = options.out().resolve(CHECKPOINT);
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("model", options.model());
        metadata.put("epochs", Integer.toString(options.epochs()));
        metadata.put("seed", Long.toString(options.seed()));
        if (standardization != null) {
            metadata.put(INPUT_MEAN, Float.toString(standardization.mean()));
            metadata.put(INPUT_STD, Float.toString(standardization.std()));
        }
        RunReport.Epoch last = report.epochs().get(report.epochs().size() - 1);
        metadata.put("test_accuracy", String.format(Locale.ROOT, "%.6f", last.testAccuracy()));
        Safetensors.write(checkpoint, model.stateDict(), metadata);
        report.writeCsv(options.out().resolve("metrics.csv"));
        report.writePlot(options.out().resolve("metrics.png"), options.model());
        System.out.println("wrote " + checkpoint + ", " + options.out().resolve("metrics.csv") + ", "
                + options.out().resolve("metrics.png"));
    }

    /** {@code evaluate}: reloads a checkpoint written by {@code train} and reports its test accuracy. */
    static void evaluate(EvaluateOptions options) throws IOException {
        Path checkpoint = options.checkpoint();
        Map<String, String> metadata = Safetensors.readMetadata(checkpoint);
        String name = metadata.get("model");
        if (name == null) {
            throw new IllegalArgumentException(checkpoint + " names no model in its metadata (written by train?)");
        }
        Module model = TrainOptions.model(name, 0);
        model.loadStateDict(Safetensors.read(checkpoint));
        FashionMnist data = options.data() == null ? FashionMnist.load() : FashionMnist.fromFolder(options.data());
        TensorDataset testSet = data.test();
        String mean = metadata.get(INPUT_MEAN);
        String std = metadata.get(INPUT_STD);
        if (mean != null && std != null) {
            testSet = new Standardization(Float.parseFloat(mean), Float.parseFloat(std)).apply(testSet);
        } else if (mean != null || std != null) {
            throw new IllegalArgumentException(checkpoint + " records only one of " + INPUT_MEAN + " and " + INPUT_STD);
        }
        Evaluation test = Evaluation.of(model, testSet, 1000);
        System.out.printf(Locale.ROOT, "%s (%s) on %s: test accuracy %.2f%%, macro-F1 %.4f, test loss %.4f%n", checkpoint,
                name, data.source(), 100 * test.accuracy(), test.macroF1(), test.loss());
        System.out.println(test.confusion());
    }
}
