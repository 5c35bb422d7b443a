package org.isthmus.models;

import java.util.random.RandomGenerator;
import org.isthmus.nn.Activation;
import org.isthmus.nn.Conv2d;
import org.isthmus.nn.Flatten;
import org.isthmus.nn.Linear;
import org.isthmus.nn.MaxPool2d;
import org.isthmus.nn.Module;
import org.isthmus.nn.Sequential;

/**
 * Ready models. Each returns logits (or raw outputs): pair a classifier with
 * {@code Loss.crossEntropy}, a binary one with {@code Loss.bceWithLogits}, a regression with {@code Loss.mse}.
 */
public final class Models {

    private Models() {
    }

    /** y = x·wᵀ + b with one output per sample: [N, features] → [N, 1]. */
    public static Module linearRegression(int features, RandomGenerator random) {
        return new Sequential(new Linear(features, 1, random));
    }

    /** The logit of the positive class: [N, features] → [N, 1]; σ(logit) is its probability. */
    public static Module logisticRegression(int features, RandomGenerator random) {
        return new Sequential(new Flatten(), new Linear(features, 1, random));
    }

    /** One linear layer to class logits: [N, …] flattened to [N, features] → [N, classes]. */
    public static Module softmaxRegression(int features, int classes, RandomGenerator random) {
        return new Sequential(new Flatten(), new Linear(features, classes, random));
    }

    /** The multilayer perceptron 784-256-128-10 with ReLU: [N, 1, 28, 28] or [N, 784] → [N, 10]. */
    public static Module mlp(RandomGenerator random) {
        return new Sequential(new Flatten(),
                new Linear(784, 256, random), Activation.relu(),
                new Linear(256, 128, random), Activation.relu(),
                new Linear(128, 10, random));
    }

    /**
     * The CNN conv3x3·32 → ReLU → maxpool2 → conv3x3·64 → ReLU → maxpool2 → dense 128 → dense 10 on
     * [N, 1, 28, 28] images (padding 1 keeps 28 → 14 → 7).
     *
     * <p>Each ReLU runs after its pooling rather than before: max commutes with the monotone ReLU, so
     * outputs and gradients are the same, and ReLU then touches a quarter of the elements (and
     * allocates a quarter of the memory) in both passes. Neither layer has parameters, so the
     * state-dict keys are those of the conv → ReLU → pool order.
     */
    public static Module cnn(RandomGenerator random) {
        return new Sequential(
                new Conv2d(1, 32, 3, 1, 1, random), new MaxPool2d(2), Activation.relu(),
                new Conv2d(32, 64, 3, 1, 1, random), new MaxPool2d(2), Activation.relu(),
                new Flatten(),
                new Linear(64 * 7 * 7, 128, random), Activation.relu(),
                new Linear(128, 10, random));
    }
}
