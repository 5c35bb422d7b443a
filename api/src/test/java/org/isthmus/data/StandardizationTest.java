package org.isthmus.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.isthmus.tensor.Tensor;
import org.junit.jupiter.api.Test;

class StandardizationTest {

    private static TensorDataset dataset(float[] values, int... labels) {
        return new TensorDataset(Tensor.fromArray(values, labels.length, values.length / labels.length), labels);
    }

    /** Values 0, 1, 2, 3, 4, 5: mean 2.5, population variance 35/12. */
    @Test
    void figuresComeFromEveryValueOfTheTrainingSet() {
        TensorDataset train = dataset(new float[] {0, 1, 2, 3, 4, 5}, 1, 0);
        Standardization s = Standardization.of(train);
        assertEquals(2.5f, s.mean());
        assertEquals((float) Math.sqrt(35.0 / 12), s.std(), 1e-6f);

        TensorDataset standardized = s.apply(train);
        double sum = 0;
        double squares = 0;
        for (float v : standardized.inputs().toArray()) {
            sum += v;
            squares += v * v;
        }
        assertEquals(0, sum / 6, 1e-6);
        assertEquals(1, squares / 6, 1e-6);
        assertArrayEquals(new int[] {1, 0}, standardized.labels());
        assertArrayEquals(train.inputs().shape(), standardized.inputs().shape());
        assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5}, train.inputs().toArray(), "the source is not changed");

        TensorDataset test = dataset(new float[] {2.5f, 2.5f + s.std(), 2.5f, 2.5f - s.std(), 0, 5}, 3, 4);
        assertArrayEquals(new float[] {0, 1, 0, -1, -2.5f / s.std(), 2.5f / s.std()}, s.apply(test).inputs().toArray(),
                1e-6f, "the test set takes the training set's figures");
    }

    @Test
    void refusesWhatCannotStandardize() {
        IllegalArgumentException constant = assertThrows(IllegalArgumentException.class,
                () -> Standardization.of(dataset(new float[] {7, 7, 7, 7}, 0, 1)));
        assertTrue(constant.getMessage().contains("std > 0"), constant.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Standardization(Float.NaN, 1));
        assertThrows(IllegalArgumentException.class, () -> new Standardization(0, -1));
        assertThrows(IllegalArgumentException.class, () -> new Standardization(0, Float.POSITIVE_INFINITY));
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                () -> Standardization.of(new TensorDataset(Tensor.fromArray(new float[0], 0, 4), new int[0])));
        assertTrue(empty.getMessage().contains("empty"), empty.getMessage());
    }
}
