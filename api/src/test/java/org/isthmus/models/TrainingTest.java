package org.isthmus.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.isthmus.data.DataLoader;
import org.isthmus.data.FashionMnist;
import org.isthmus.data.TensorDataset;
import org.isthmus.io.Safetensors;
import org.isthmus.metrics.Metrics;
import org.isthmus.nn.Loss;
import org.isthmus.nn.Module;
import org.isthmus.nn.Reduction;
import org.isthmus.optim.Adam;
import org.isthmus.optim.LrScheduler;
import org.isthmus.tensor.Autograd;
import org.isthmus.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Whole training runs on the embedded Fashion-MNIST subset, as a user writes them. */
class TrainingTest {

    private static Tensor labels(TensorDataset data) {
        int[] classes = data.labels();
        float[] values = new float[classes.length];
        for (int i = 0; i < classes.length; i++) {
            values[i] = classes[i];
        }
        return Tensor.fromArray(values, values.length);
    }

    private static void train(Module model, TensorDataset data, int epochs, long seed) {
        Trainer trainer = new Trainer(model, new Adam(model.parameters(), 1e-3), Loss.crossEntropy(0f, Reduction.MEAN));
        DataLoader loader = DataLoader.builder(data).batchSize(64).shuffle(seed).build();
        for (int epoch = 0; epoch < epochs; epoch++) {
            trainer.epoch(loader, epoch, (size, loss) -> { });
        }
    }

    private static double testAccuracy(Module model, TensorDataset test) {
        model.eval();
        try (Autograd.Scope ignored = Autograd.noGrad()) {
            return Metrics.accuracy(model.forward(test.inputs()), labels(test));
        }
    }

    /** 2,000 images, 5 epochs, a few seconds: the MLP must pass 70% on the 500 held-out images (chance is 10%). */
    @Test
    void anMlpLearnsTheEmbeddedSubset() throws IOException {
        FashionMnist data = FashionMnist.embedded();
        Module mlp = Models.mlp(new SplittableRandom(1));
        double before = testAccuracy(mlp, data.test());
        train(mlp, data.train(), 5, 2);
        double after = testAccuracy(mlp, data.test());
        assertTrue(after >= 0.70, "test accuracy after training " + after + " (before " + before + ")");
    }

    /** A smaller CNN run: 1 epoch on 2,000 images must pass 55%. */
    @Test
    void theCnnLearnsTheEmbeddedSubset() throws IOException {
        FashionMnist data = FashionMnist.embedded();
        Module cnn = Models.cnn(new SplittableRandom(3));
        train(cnn, data.train(), 1, 4);
        double after = testAccuracy(cnn, data.test());
        assertTrue(after >= 0.55, "CNN test accuracy after one epoch " + after);
    }

    /** A schedule given to the trainer steps once per batch: cosine over two epochs is at half the rate after one, 0 after two. */
    @Test
    void aBatchScheduleStepsAfterEveryBatch() throws IOException {
        FashionMnist data = FashionMnist.embedded();
        Module model = Models.softmaxRegression(784, 10, new SplittableRandom(7));
        Adam adam = new Adam(model.parameters(), 1e-3);
        DataLoader loader = DataLoader.builder(data.train()).batchSize(64).shuffle(8).build();
        Trainer trainer = new Trainer(model, adam, Loss.crossEntropy(0f, Reduction.MEAN),
                LrScheduler.cosine(adam, 2 * loader.batchesPerEpoch(), 0));
        trainer.epoch(loader, 0, (size, loss) -> { });
        assertEquals(loader.batchesPerEpoch(), adam.steps());
        assertEquals(5e-4, adam.paramGroups().get(0).learningRate(), 1e-12);
        trainer.epoch(loader, 1, (size, loss) -> { });
        assertEquals(0, adam.paramGroups().get(0).learningRate(), 1e-12);
    }

    @Test
    void aCheckpointRoundTripsBitExactly(@TempDir Path folder) throws IOException {
        FashionMnist data = FashionMnist.embedded();
        Module model = Models.mlp(new SplittableRandom(5));
        train(model, data.train(), 1, 6);
        Path file = folder.resolve("mlp.safetensors");
        Safetensors.write(file, model.stateDict());
        Module reloaded = Models.mlp(new SplittableRandom(99));
        reloaded.loadStateDict(Safetensors.read(file));
        model.stateDict().forEach((name, tensor) ->
                assertArrayEquals(tensor.toArray(), reloaded.stateDict().get(name).toArray(), name));
        model.eval();
        reloaded.eval();
        try (Autograd.Scope ignored = Autograd.noGrad()) {
            assertArrayEquals(model.forward(data.test().inputs()).toArray(), reloaded.forward(data.test().inputs()).toArray());
        }
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length - 7));
        IOException error = assertThrows(IOException.class, () -> Safetensors.read(file));
        assertTrue(error.getMessage().contains(file.toString()), error.getMessage());
    }
}
