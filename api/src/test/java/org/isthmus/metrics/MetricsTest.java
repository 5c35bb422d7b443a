package org.isthmus.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.isthmus.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Scores checked against hand-worked counts and scikit-learn's documented examples (to 1e-12). */
class MetricsTest {

    private static final double EXACT = 1e-12;

    @Test
    void binaryWorkedExample() {
        // TP = 8, FP = 2, FN = 4, TN = 6; class 1 is the positive class.
        ConfusionMatrix m = ConfusionMatrix.fromCounts(new long[][] {{6, 2}, {4, 8}});
        assertEquals(8, m.truePositives(1));
        assertEquals(2, m.falsePositives(1));
        assertEquals(4, m.falseNegatives(1));
        assertEquals(12, m.support(1));
        assertEquals(0.8, m.precision(1), EXACT);
        assertEquals(2.0 / 3, m.recall(1), EXACT);
        assertEquals(8.0 / 11, m.f1(1), EXACT);
        assertEquals(14.0 / 20, m.accuracy(), EXACT);
    }

    @Test
    void countsFromLabelsMatchTheWorkedExample() {
        int[] actual = new int[20];
        int[] predicted = new int[20];
        int i = 0;
        for (int k = 0; k < 8; k++, i++) {
            actual[i] = 1;
            predicted[i] = 1;
        }
        for (int k = 0; k < 2; k++, i++) {
            predicted[i] = 1;
        }
        for (int k = 0; k < 4; k++, i++) {
            actual[i] = 1;
        }
        ConfusionMatrix m = ConfusionMatrix.of(predicted, actual, 2);
        assertEquals(ConfusionMatrix.fromCounts(new long[][] {{6, 2}, {4, 8}}), m);
        assertEquals(20, m.total());
        assertEquals(0.7, Metrics.accuracy(predicted, actual), EXACT);
    }

    @Test
    void multiclassAveragesMatchScikitLearn() {
        // scikit-learn's precision_score example: macro 0.2222, micro 0.3333; recall macro 0.3333; f1 macro 0.2667.
        int[] actual = {0, 1, 2, 0, 1, 2};
        int[] predicted = {0, 2, 1, 0, 0, 1};
        ConfusionMatrix m = ConfusionMatrix.of(predicted, actual, 3);
        assertEquals(2.0 / 9, m.precision(Average.MACRO), EXACT);
        assertEquals(1.0 / 3, m.recall(Average.MACRO), EXACT);
        assertEquals(4.0 / 15, m.f1(Average.MACRO), EXACT);
        assertEquals(1.0 / 3, m.precision(Average.MICRO), EXACT);
        assertEquals(1.0 / 3, m.recall(Average.MICRO), EXACT);
        assertEquals(1.0 / 3, m.f1(Average.MICRO), EXACT);
        assertEquals(m.accuracy(), m.f1(Average.MICRO), EXACT, "micro F1 is accuracy for single-label data");
        assertArrayEquals(new long[] {2, 0, 0}, m.toArray()[0]);
        assertTrue(m.toString().contains("a\\p"), m.toString());
    }

    @Test
    void zeroDivisionIsZero() {
        // Class 2 is never predicted: precision 0/0 -> 0 (scikit-learn's zero_division=0).
        ConfusionMatrix m = ConfusionMatrix.of(new int[] {0, 1, 1}, new int[] {0, 1, 2}, 3);
        assertEquals(0, m.precision(2));
        assertEquals(0, m.recall(2));
        assertEquals(0, m.f1(2));
        // Class 3 neither occurs nor is predicted: it is left out of the macro average.
        ConfusionMatrix withAbsent = ConfusionMatrix.of(new int[] {0, 1, 1}, new int[] {0, 1, 2}, 4);
        assertEquals(m.precision(Average.MACRO), withAbsent.precision(Average.MACRO), EXACT);
        assertEquals((1 + 0.5 + 0) / 3, m.precision(Average.MACRO), EXACT);
        ConfusionMatrix empty = ConfusionMatrix.of(new int[0], new int[0], 2);
        assertEquals(0, empty.accuracy());
        assertEquals(0, empty.f1(Average.MACRO));
    }

    @Test
    void invalidInputNamesTheValues() {
        IllegalArgumentException lengths = assertThrows(IllegalArgumentException.class,
                () -> ConfusionMatrix.of(new int[5], new int[4], 2));
        assertEquals("predicted has 5 values but actual has 4", lengths.getMessage());
        IllegalArgumentException accuracyLengths = assertThrows(IllegalArgumentException.class,
                () -> Metrics.accuracy(new int[3], new int[7]));
        assertTrue(accuracyLengths.getMessage().contains("3") && accuracyLengths.getMessage().contains("7"));
        IllegalArgumentException mseLengths = assertThrows(IllegalArgumentException.class,
                () -> Metrics.mse(new float[2], new float[1]));
        assertEquals("predicted has 2 values but actual has 1", mseLengths.getMessage());
        IllegalArgumentException outside = assertThrows(IllegalArgumentException.class,
                () -> ConfusionMatrix.of(new int[] {0, 3}, new int[] {0, 1}, 3));
        assertEquals("predicted[1] = 3 is outside the classes [0, 3)", outside.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Metrics.accuracy(new int[0], new int[0]));
        assertThrows(IllegalArgumentException.class, () -> ConfusionMatrix.fromCounts(new long[][] {{1, 2}, {3}}));
        assertThrows(IllegalArgumentException.class, () -> ConfusionMatrix.fromCounts(new long[][] {{1, -2}, {3, 4}}));
    }

    @Test
    void meanSquaredError() {
        // scikit-learn's mean_squared_error example.
        float[] actual = {3, -0.5f, 2, 7};
        float[] predicted = {2.5f, 0, 2, 8};
        assertEquals(0.375, Metrics.mse(predicted, actual), EXACT);
        assertEquals(Math.sqrt(0.375), Metrics.rmse(predicted, actual), EXACT);
        assertEquals(0.375, Metrics.mse(Tensor.fromArray(predicted, 2, 2), Tensor.fromArray(actual, 2, 2)), EXACT);
        assertThrows(IllegalArgumentException.class,
                () -> Metrics.mse(Tensor.fromArray(predicted, 2, 2), Tensor.fromArray(actual, 4)));
    }

    @Test
    void logLossMatchesScikitLearnAndClips() {
        // scikit-learn's log_loss example (ham = 0, spam = 1): 0.21616...
        Tensor p = Tensor.fromArray(new float[] {.1f, .9f, .9f, .1f, .8f, .2f, .35f, .65f}, 4, 2);
        int[] labels = {1, 0, 0, 1};
        double expected = -(Math.log(.9f) + Math.log(.9f) + Math.log(.8f) + Math.log(.65f)) / 4;
        assertEquals(expected, Metrics.logLoss(p, labels), EXACT);
        assertEquals(0.21616, expected, 1e-5);
        assertEquals(expected, Metrics.logLoss(new float[] {.9f, .1f, .2f, .65f}, labels), 1e-7);

        Tensor certainAndWrong = Tensor.fromArray(new float[] {1, 0}, 1, 2);
        assertEquals(-Math.log(Metrics.LOG_LOSS_EPS), Metrics.logLoss(certainAndWrong, new int[] {1}), 1e-9);
        assertEquals(-Math.log(Metrics.LOG_LOSS_EPS), Metrics.logLoss(new float[] {1}, new int[] {0}), 1e-9);
        assertEquals(-Math.log(1 - Metrics.LOG_LOSS_EPS), Metrics.logLoss(new float[] {1}, new int[] {1}), 1e-20);

        IllegalArgumentException nan = assertThrows(IllegalArgumentException.class,
                () -> Metrics.logLoss(Tensor.fromArray(new float[] {Float.NaN, 1}, 1, 2), new int[] {1}));
        assertTrue(nan.getMessage().contains("NaN"), nan.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Metrics.logLoss(p, new int[] {1, 0, 0}));
        assertThrows(IllegalArgumentException.class, () -> Metrics.logLoss(p, new int[] {1, 0, 2, 1}));
    }

    @Test
    void tensorAccuracyTakesTheRowArgmax() {
        Tensor logits = Tensor.fromArray(new float[] {
            0.1f, 2, -1,
            3, 3, 0,          // tie: the first wins
            -5, -6, -4,
            1, Float.NaN, 9,  // NaN ranks highest, as in torch.argmax
        }, 4, 3);
        assertArrayEquals(new int[] {1, 0, 2, 1}, Metrics.argmaxRows(logits));
        assertEquals(0.75, Metrics.accuracy(logits, Tensor.fromArray(new float[] {1, 0, 2, 2}, 4)), EXACT);
        assertArrayEquals(new int[] {1, 0, 2}, Metrics.argmaxRows(logits.narrow(0, 0, 3)));
        assertThrows(IllegalArgumentException.class, () -> Metrics.classIndices(Tensor.fromArray(new float[] {1.5f}, 1)));
        assertThrows(IllegalArgumentException.class, () -> Metrics.classIndices(Tensor.fromArray(new float[] {-1}, 1)));
    }
}
