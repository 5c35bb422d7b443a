package org.isthmus.data;

import java.util.Arrays;
import org.isthmus.tensor.Storage;
import org.isthmus.tensor.Tensor;

/**
 * Labelled examples of one shape, read by index. A {@link DataLoader} batches through
 * {@link #copyInput}, which writes an example straight into the batch's array, so no tensor is made
 * per example; {@link #get} is for looking at one.
 */
public interface Dataset {

    /** Number of examples. */
    int size();

    /** Shape of one example's input, e.g. [1, 28, 28]. */
    int[] exampleShape();

    /** Class index of example i. */
    int label(int index);

    /** Writes example i's input, {@link #exampleSize()} floats in row-major order, at destination[offset]. */
    void copyInput(int index, float[] destination, int offset);

    /** Number of floats in one example's input. */
    default int exampleSize() {
        return Math.toIntExact(Arrays.stream(exampleShape()).asLongStream().reduce(1, (a, b) -> a * b));
    }

    /** Example i as a fresh tensor and its label. */
    default Example get(int index) {
        float[] input = new float[exampleSize()];
        copyInput(index, input, 0);
        return new Example(Tensor.of(Storage.wrap(input), exampleShape()), label(index));
    }
}
