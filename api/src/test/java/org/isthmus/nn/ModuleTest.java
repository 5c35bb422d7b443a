package org.isthmus.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.isthmus.models.Models;
import org.isthmus.tensor.Functional;
import org.isthmus.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Modules: naming, state dicts, modes, initialization, and the layers' shapes. */
class ModuleTest {

    @Test
    void parametersAreNamedByPath() {
        Module mlp = Models.mlp(new SplittableRandom(1));
        assertEquals(List.of("1.weight", "1.bias", "3.weight", "3.bias", "5.weight", "5.bias"),
                List.copyOf(mlp.namedParameters().keySet()));
        assertEquals(784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10,
                mlp.parameters().stream().mapToLong(Tensor::numel).sum());
        Module bn = new Sequential(new Linear(3, 4, new SplittableRandom(2)), BatchNorm.of1d(4));
        assertEquals(List.of("0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var"),
                List.copyOf(bn.stateDict().keySet()));
    }

    @Test
    void initializationIsSeededAndBoundedLikePyTorch() {
        Linear a = new Linear(100, 10, new SplittableRandom(3));
        Linear b = new Linear(100, 10, new SplittableRandom(3));
        assertArrayEquals(a.weight().toArray(), b.weight().toArray());
        float bound = 1 / (float) Math.sqrt(100);
        for (float w : a.weight().toArray()) {
            assertTrue(Math.abs(w) <= bound, "kaiming-uniform bound 1/sqrt(fan_in)");
        }
    }

    @Test
    void aDepthwiseConvolutionGivesEachChannelItsOwnFilters() {
        Conv2d depthwise = Conv2d.depthwise(3, 2, 3, 1, 1, new SplittableRandom(6));
        assertArrayEquals(new int[] {6, 1, 3, 3}, depthwise.weight().shape());
        float bound = 1 / (float) Math.sqrt(9); // fan-in: one channel of 3×3 taps
        for (float w : depthwise.weight().toArray()) {
            assertTrue(Math.abs(w) <= bound, "kaiming-uniform bound over the group's fan-in");
        }
        Tensor x = Tensor.randn(new SplittableRandom(7), 2, 3, 8, 8);
        Tensor y = depthwise.forward(x);
        assertArrayEquals(new int[] {2, 6, 8, 8}, y.shape());
        // Changing input channel 2 changes only its two filters' outputs, channels 4 and 5.
        float[] changed = x.toArray();
        for (int n = 0; n < 2; n++) {
            for (int i = 0; i < 64; i++) {
                changed[(n * 3 + 2) * 64 + i] += 1f;
            }
        }
        float[] before = y.toArray();
        float[] after = depthwise.forward(Tensor.fromArray(changed, 2, 3, 8, 8)).toArray();
        for (int n = 0; n < 2; n++) {
            for (int k = 0; k < 6; k++) {
                boolean differs = false;
                for (int i = 0; i < 64; i++) {
                    differs |= before[(n * 6 + k) * 64 + i] != after[(n * 6 + k) * 64 + i];
                }
                assertEquals(k >= 4, differs, "image " + n + ", output channel " + k);
            }
        }
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> new Conv2d(6, 4, 3, 1, 1, 1, 4, true, new SplittableRandom(8)));
        assertTrue(error.getMessage().contains("groups=4"), error.getMessage());
        Tensor wrongWeights = Tensor.zeros(6, 2, 3, 3);
        error = assertThrows(IllegalArgumentException.class,
                () -> Functional.conv2d(x, wrongWeights, null, 1, 1, 1, 3));
        assertTrue(error.getMessage().contains("(1 per group of 3)") && error.getMessage().contains("[6, 2, 3, 3]"),
                error.getMessage());
    }

    @Test
    void loadStateDictIsStrictAndNamesTheKeys() {
        Module model = Models.softmaxRegression(4, 3, new SplittableRandom(4));
        Map<String, Tensor> state = new LinkedHashMap<>(Models.softmaxRegression(4, 3, new SplittableRandom(5)).stateDict());
        model.loadStateDict(state);
        assertArrayEquals(state.get("1.weight").toArray(), model.stateDict().get("1.weight").toArray());

        state.remove("1.bias");
        state.put("1.extra", Tensor.zeros(1));
        state.put("1.weight", Tensor.zeros(3, 5));
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> model.loadStateDict(state));
        String message = error.getMessage();
        assertTrue(message.contains("missing keys [1.bias]") && message.contains("unexpected keys [1.extra]")
                && message.contains("1.weight: checkpoint [3, 5], model [3, 4]"), message);
    }

    @Test
    void trainAndEvalReachEveryChild() {
        Module model = new Sequential(new Linear(2, 2, new SplittableRandom(6)), new Dropout(0.5f, new SplittableRandom(7)));
        model.eval();
        assertFalse(model.children().get("1").isTraining());
        Tensor x = Tensor.ones(4, 2);
        assertArrayEquals(model.forward(x).toArray(), model.forward(x).toArray(), "no dropout in evaluation");
        model.train();
        assertTrue(model.children().get("1").isTraining());
    }

    @Test
    void cnnShapesAndBatchNormRunningStatistics() {
        Module cnn = Models.cnn(new SplittableRandom(8));
        assertArrayEquals(new int[] {2, 10}, cnn.forward(Tensor.zeros(2, 1, 28, 28)).shape());

        BatchNorm bn = BatchNorm.of1d(1);
        bn.forward(Tensor.fromArray(new float[] {1, 3}, 2, 1));
        // batch mean 2, unbiased variance 2: running = 0.9·(0, 1) + 0.1·(2, 2)
        assertArrayEquals(new float[] {0.2f}, bn.stateDict().get("running_mean").toArray(), 1e-6f);
        assertArrayEquals(new float[] {1.1f}, bn.stateDict().get("running_var").toArray(), 1e-6f);
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> BatchNorm.of2d(3).forward(Tensor.zeros(2, 3)));
        assertTrue(error.getMessage().contains("[N, C, H, W]"), error.getMessage());
    }

    @Test
    void lossesMatchTheirDefinitions() {
        Tensor p = Tensor.fromArray(new float[] {0.5f, 2f}, 2);
        Tensor t = Tensor.fromArray(new float[] {1f, 0f}, 2);
        assertEquals((0.25f + 4f) / 2, Loss.mse(Reduction.MEAN).apply(p, t).item(), 1e-6f);
        assertEquals(2.5f, Loss.l1(Reduction.SUM).apply(p, t).item(), 1e-6f);
        assertArrayEquals(new float[] {0.5f, 3f}, Loss.hinge(Reduction.NONE).apply(p, Tensor.fromArray(new float[] {1, -1}, 2))
                .toArray(), 1e-6f);
        Tensor probability = Tensor.fromArray(new float[] {0.8f, 0.3f}, 2);
        float bce = (float) -(Math.log(0.8) + Math.log(0.7)) / 2;
        assertEquals(bce, Loss.bce(Reduction.MEAN).apply(probability, t).item(), 1e-6f);
        Tensor logits = probability.div(probability.neg().add(1f)).log();
        assertEquals(bce, Loss.bceWithLogits(Reduction.MEAN).apply(logits, t).item(), 1e-5f);
        Tensor scores = Tensor.fromArray(new float[] {1, 2, 3, 1, 1, 1}, 2, 3);
        Tensor classes = Tensor.fromArray(new float[] {2, 0}, 2);
        float ce = (float) ((Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)) - 3) + Math.log(3)) / 2;
        assertEquals(ce, Loss.crossEntropy(0f, Reduction.MEAN).apply(scores, classes).item(), 1e-5f);
        assertEquals(ce, Loss.nll(Reduction.MEAN).apply(scores.logSoftmax(1), classes).item(), 1e-5f);
        Tensor q = Tensor.fromArray(new float[] {0.5f, 0.5f, 0f}, 1, 3);
        Tensor logR = Tensor.fromArray(new float[] {0.25f, 0.25f, 0.5f}, 1, 3).log();
        assertEquals((float) Math.log(2), Loss.klDivergence(Reduction.SUM).apply(logR, q).item(), 1e-6f);
    }
}
