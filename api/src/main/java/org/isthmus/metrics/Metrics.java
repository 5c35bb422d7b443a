package org.isthmus.metrics;

import java.util.Arrays;
import org.isthmus.tensor.Tensor;

/**
 * Scores of predictions against the truth: accuracy, mean squared error, log loss. They read their
 * inputs element by element on the CPU (no tensor kernels) and sum in double. Inputs of different
 * lengths, empty inputs and labels outside the classes are {@link IllegalArgumentException}s that name
 * the values at fault. Precision, recall and F1 live in {@link ConfusionMatrix}.
 */
public final class Metrics {

    /**
     * Log loss clips each probability to [EPS, 1 − EPS] before taking its log, so a confident wrong
     * answer costs −ln(1e-15) ≈ 34.5 instead of infinity (scikit-learn's long-standing default).
     */
    public static final double LOG_LOSS_EPS = 1e-15;

    private Metrics() {
    }

    /** The fraction of examples whose predicted class equals the actual class. */
    public static double accuracy(int[] predicted, int[] actual) {
        checkSameLength("predicted", predicted.length, "actual", actual.length);
        checkNotEmpty(predicted.length, "accuracy");
        long correct = 0;
        for (int i = 0; i < predicted.length; i++) {
            if (predicted[i] == actual[i]) {
                correct++;
            }
        }
        return (double) correct / predicted.length;
    }

    /** Accuracy of scores [N, C] (logits or probabilities; the largest wins) against class indices [N]. */
    public static double accuracy(Tensor scores, Tensor labels) {
        return accuracy(argmaxRows(scores), classIndices(labels));
    }

    /**
     * For each row of a [N, C] tensor, the column of its largest value (the first on ties; a row
     * holding NaN picks its first NaN, as NaN ranks above every number in {@code torch.argmax}).
     */
    public static int[] argmaxRows(Tensor scores) {
        if (scores.dim() != 2) {
            throw new IllegalArgumentException("argmaxRows needs scores shaped [N, C]; got "
                    + Arrays.toString(scores.shape()));
        }
        int rows = scores.size(0);
        int columns = scores.size(1);
        if (columns == 0) {
            throw new IllegalArgumentException("argmaxRows: scores " + Arrays.toString(scores.shape())
                    + " have no columns");
        }
        float[] values = scores.toArray();
        int[] best = new int[rows];
        for (int r = 0; r < rows; r++) {
            int base = r * columns;
            int arg = 0;
            for (int c = 1; c < columns && !Float.isNaN(values[base + arg]); c++) {
                if (values[base + c] > values[base + arg] || Float.isNaN(values[base + c])) {
                    arg = c;
                }
            }
            best[r] = arg;
        }
        return best;
    }

    /** The class indices held by a float tensor of whole numbers (any shape, read in row-major order). */
    public static int[] classIndices(Tensor labels) {
        float[] values = labels.toArray();
        int[] classes = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            float v = values[i];
            if (v != Math.rint(v) || v < 0 || v > 1 << 24) {
                throw new IllegalArgumentException("label " + i + " is " + v
                        + ", not a class index (a whole number in [0, 2^24])");
            }
            classes[i] = (int) v;
        }
        return classes;
    }

    /** Mean of (predicted − actual)². */
    public static double mse(float[] predicted, float[] actual) {
        checkSameLength("predicted", predicted.length, "actual", actual.length);
        checkNotEmpty(predicted.length, "mse");
        double sum = 0;
        for (int i = 0; i < predicted.length; i++) {
            double error = (double) predicted[i] - actual[i];
            sum += error * error;
        }
        return sum / predicted.length;
    }

    /** Mean squared error over every element of two tensors of the same shape. */
    public static double mse(Tensor predicted, Tensor actual) {
        checkSameShape(predicted, actual);
        return mse(predicted.toArray(), actual.toArray());
    }

    /** Square root of the mean squared error, in the units of the values. */
    public static double rmse(float[] predicted, float[] actual) {
        return Math.sqrt(mse(predicted, actual));
    }

    public static double rmse(Tensor predicted, Tensor actual) {
        checkSameShape(predicted, actual);
        return Math.sqrt(mse(predicted, actual));
    }

    /**
     * Mean over examples of −ln p(actual class), for probabilities [N, C] (each row a distribution,
     * e.g. a softmax; rows are not renormalised) and one label per row. Probabilities are clipped to
     * [{@link #LOG_LOSS_EPS}, 1 − {@link #LOG_LOSS_EPS}].
     */
    public static double logLoss(Tensor probabilities, int[] labels) {
        if (probabilities.dim() != 2) {
            throw new IllegalArgumentException("logLoss needs probabilities shaped [N, C]; got "
                    + Arrays.toString(probabilities.shape()));
        }
        int rows = probabilities.size(0);
        int classes = probabilities.size(1);
        checkSameLength("probability rows", rows, "labels", labels.length);
        checkNotEmpty(rows, "logLoss");
        float[] p = probabilities.toArray();
        double sum = 0;
        for (int i = 0; i < rows; i++) {
            checkClass("labels", i, labels[i], classes);
            for (int c = 0; c < classes; c++) {
                checkProbability(p[i * classes + c], i + ", " + c);
            }
            sum -= Math.log(clip(p[i * classes + labels[i]]));
        }
        return sum / rows;
    }

    /** Binary log loss: probabilityOfOne[i] is p(label 1) for example i, and every label is 0 or 1. */
    public static double logLoss(float[] probabilityOfOne, int[] labels) {
        checkSameLength("probabilities", probabilityOfOne.length, "labels", labels.length);
        checkNotEmpty(labels.length, "logLoss");
        double sum = 0;
        for (int i = 0; i < labels.length; i++) {
            checkClass("labels", i, labels[i], 2);
            double p = checkProbability(probabilityOfOne[i], Integer.toString(i));
            sum -= labels[i] == 1 ? Math.log(clip(p)) : Math.log(clip(1 - p));
        }
        return sum / labels.length;
    }

    private static double clip(double p) {
        return Math.min(Math.max(p, LOG_LOSS_EPS), 1 - LOG_LOSS_EPS);
    }

    private static double checkProbability(float p, String where) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("probability [" + where + "] is " + p + ", outside [0, 1]");
        }
        return p;
    }

    static void checkSameLength(String name, int length, String otherName, int otherLength) {
        if (length != otherLength) {
            throw new IllegalArgumentException(name + " has " + length + " values but " + otherName + " has "
                    + otherLength);
        }
    }

    static void checkClass(String name, int index, int label, int classes) {
        if (label < 0 || label >= classes) {
            throw new IllegalArgumentException(name + "[" + index + "] = " + label + " is outside the classes [0, "
                    + classes + ")");
        }
    }

    private static void checkNotEmpty(int length, String metric) {
        if (length == 0) {
            throw new IllegalArgumentException(metric + " of no examples is undefined");
        }
    }

    private static void checkSameShape(Tensor predicted, Tensor actual) {
        if (!Arrays.equals(predicted.shape(), actual.shape())) {
            throw new IllegalArgumentException("predicted has shape " + Arrays.toString(predicted.shape())
                    + " but actual has shape " + Arrays.toString(actual.shape()));
        }
    }
}
