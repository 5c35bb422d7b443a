package org.isthmus.data;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import org.isthmus.tensor.Tensor;

/** Examples held in one tensor [N, ...] (example i is inputs[i]) with one class index each. */
public final class TensorDataset implements Dataset {

    private final Tensor inputs;
    private final int[] labels;
    private final int[] exampleShape;
    private final int exampleSize;

    /**
     * Wraps inputs (copied only when not contiguous; later writes to a contiguous tensor show through)
     * and a copy of the labels, which must be N class indices, none negative.
     */
    public TensorDataset(Tensor inputs, int[] labels) {
        if (inputs.dim() < 1) {
            throw new IllegalArgumentException("inputs must have a first dimension of examples; got a scalar");
        }
        if (inputs.size(0) != labels.length) {
            throw new IllegalArgumentException("inputs " + Arrays.toString(inputs.shape()) + " hold " + inputs.size(0)
                    + " examples but there are " + labels.length + " labels");
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0) {
                throw new IllegalArgumentException("labels[" + i + "] = " + labels[i] + " is negative");
            }
        }
        this.inputs = inputs.detach().contiguous();
        this.labels = labels.clone();
        this.exampleShape = Arrays.copyOfRange(inputs.shape(), 1, inputs.dim());
        this.exampleSize = inputs.size(0) == 0 ? 0 : (int) (inputs.numel() / inputs.size(0));
    }

    /** The inputs tensor [N, ...], contiguous. */
    public Tensor inputs() {
        return inputs;
    }

    /** A copy of the class indices. */
    public int[] labels() {
        return labels.clone();
    }

    @Override
    public int size() {
        return labels.length;
    }

    @Override
    public int[] exampleShape() {
        return exampleShape.clone();
    }

    @Override
    public int exampleSize() {
        return exampleSize;
    }

    @Override
    public int label(int index) {
        return labels[index];
    }

    @Override
    public void copyInput(int index, float[] destination, int offset) {
        if (index < 0 || index >= labels.length) {
            throw new IndexOutOfBoundsException("example " + index + " of a data set of " + labels.length);
        }
        long first = inputs.offset() + (long) index * exampleSize;
        MemorySegment.copy(inputs.storage().segment(), ValueLayout.JAVA_FLOAT_UNALIGNED, first * Float.BYTES,
                destination, offset, exampleSize);
    }
}
