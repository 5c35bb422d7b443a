package org.isthmus.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.isthmus.nn.Activation;
import org.isthmus.nn.Conv2d;
import org.isthmus.nn.Flatten;
import org.isthmus.nn.Linear;
import org.isthmus.nn.Loss;
import org.isthmus.nn.MaxPool2d;
import org.isthmus.nn.Module;
import org.isthmus.nn.Reduction;
import org.isthmus.nn.Sequential;
import org.isthmus.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The ready models against the networks they stand for. */
class ModelsTest {

    /**
     * {@link Models#cnn} pools before each ReLU; the network as written (ReLU, then pool) must give the
     * same logits, loss and gradients with the same weights, and take its state dict unchanged.
     */
    @Test
    void theCnnComputesTheConvReluPoolNetwork() {
        Module cnn = Models.cnn(new SplittableRandom(11));
        SplittableRandom random = new SplittableRandom(12);
        Module written = new Sequential(
                new Conv2d(1, 32, 3, 1, 1, random), Activation.relu(), new MaxPool2d(2),
                new Conv2d(32, 64, 3, 1, 1, random), Activation.relu(), new MaxPool2d(2),
                new Flatten(),
                new Linear(64 * 7 * 7, 128, random), Activation.relu(),
                new Linear(128, 10, random));
        written.loadStateDict(cnn.stateDict());

        int batch = 5;
        float[] pixels = new float[batch * 28 * 28];
        for (int i = 0; i < pixels.length; i++) {
            // A third of the pixels exactly 0, so that whole pooling windows tie at ReLU's kink.
            pixels[i] = i % 3 == 0 ? 0f : (float) random.nextGaussian();
        }
        Tensor images = Tensor.fromArray(pixels, batch, 1, 28, 28);
        Tensor labels = Tensor.fromArray(new float[] {0, 3, 9, 9, 4}, batch);
        Loss loss = Loss.crossEntropy(0f, Reduction.MEAN);

        Tensor pooledFirst = cnn.forward(images);
        Tensor reluFirst = written.forward(images);
        assertArrayEquals(reluFirst.toArray(), pooledFirst.toArray(), 0f, "logits");
        loss.apply(pooledFirst, labels).backward();
        loss.apply(reluFirst, labels).backward();

        Map<String, Tensor> expected = written.namedParameters();
        Map<String, Tensor> actual = cnn.namedParameters();
        assertEquals(List.copyOf(expected.keySet()), List.copyOf(actual.keySet()));
        expected.forEach((name, parameter) ->
                assertArrayEquals(parameter.grad().toArray(), actual.get(name).grad().toArray(), 0f, name + " gradient"));
    }
}
