package org.isthmus.data;

import java.util.Locale;
import org.isthmus.tensor.Tensor;

/**
 * Inputs shifted and scaled to mean 0 and standard deviation 1 by one mean and one standard
 * deviation over every value of a training set (torchvision's {@code Normalize} with the data set's
 * own figures). The test set must be standardized with the training set's figures, which is why
 * they are kept: a checkpoint records them and {@code evaluate} applies them again.
 */
public record Standardization(float mean, float std) {

    public Standardization {
        if (!Float.isFinite(mean) || !(std > 0) || !Float.isFinite(std)) {
            throw new IllegalArgumentException("standardization needs a finite mean and a finite std > 0; got mean "
                    + mean + ", std " + std);
        }
    }

    /** The mean and the population standard deviation of every input value of {@code data}, summed in double. */
    public static Standardization of(TensorDataset data) {
        float[] values = data.inputs().toArray();
        if (values.length == 0) {
            throw new IllegalArgumentException("cannot standardize by an empty data set");
        }
        double sum = 0;
        for (float v : values) {
            sum += v;
        }
        double mean = sum / values.length;
        double squares = 0;
        for (float v : values) {
            squares += (v - mean) * (v - mean);
        }
        return new Standardization((float) mean, (float) Math.sqrt(squares / values.length));
    }

    /** A copy of {@code data} with every input x replaced by (x − mean) / std; the labels unchanged. */
    public TensorDataset apply(TensorDataset data) {
        float[] values = data.inputs().toArray();
        float scale = 1 / std;
        for (int i = 0; i < values.length; i++) {
            values[i] = (values[i] - mean) * scale;
        }
        return new TensorDataset(Tensor.fromArray(values, data.inputs().shape()), data.labels());
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "(x - %.4f) / %.4f", mean, std);
    }
}
