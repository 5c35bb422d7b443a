package org.isthmus.metrics;

import java.util.Arrays;

/**
 * Counts of (actual, predicted) class pairs, and the scores read from them: per-class precision,
 * recall and F1, their {@link Average macro and micro averages}, and accuracy.
 *
 * <p>A ratio whose denominator is zero is 0, as scikit-learn's {@code zero_division=0}: a class that
 * is never predicted has precision 0, a class that never occurs has recall 0, and F1 is 0 when
 * precision and recall are both 0. For a binary task the positive class is the one asked about:
 * {@code precision(1)}.
 */
public final class ConfusionMatrix {

    /** counts[actual][predicted]. */
    private final long[][] counts;

    private ConfusionMatrix(long[][] counts) {
        this.counts = counts;
    }

    /** The counts of these labels, each a class in [0, classes). */
    public static ConfusionMatrix of(int[] predicted, int[] actual, int classes) {
        Metrics.checkSameLength("predicted", predicted.length, "actual", actual.length);
        if (classes < 1) {
            throw new IllegalArgumentException("a confusion matrix needs at least one class; got classes=" + classes);
        }
        long[][] counts = new long[classes][classes];
        for (int i = 0; i < predicted.length; i++) {
            Metrics.checkClass("predicted", i, predicted[i], classes);
            Metrics.checkClass("actual", i, actual[i], classes);
            counts[actual[i]][predicted[i]]++;
        }
        return new ConfusionMatrix(counts);
    }

    /** A matrix from counts already made: counts[actual][predicted], square, none negative. */
    public static ConfusionMatrix fromCounts(long[][] counts) {
        int classes = counts.length;
        if (classes < 1) {
            throw new IllegalArgumentException("a confusion matrix needs at least one class; got 0 rows");
        }
        long[][] copy = new long[classes][];
        for (int a = 0; a < classes; a++) {
            if (counts[a].length != classes) {
                throw new IllegalArgumentException("counts must be square: row " + a + " has " + counts[a].length
                        + " columns but there are " + classes + " rows");
            }
            copy[a] = counts[a].clone();
            for (int p = 0; p < classes; p++) {
                if (copy[a][p] < 0) {
                    throw new IllegalArgumentException("counts[" + a + "][" + p + "] = " + copy[a][p] + " is negative");
                }
            }
        }
        return new ConfusionMatrix(copy);
    }

    public int classes() {
        return counts.length;
    }

    /** How many examples of class actual were predicted as class predicted. */
    public long count(int actual, int predicted) {
        return counts[actual][predicted];
    }

    /** A copy of the counts, indexed [actual][predicted]. */
    public long[][] toArray() {
        long[][] copy = new long[counts.length][];
        for (int a = 0; a < counts.length; a++) {
            copy[a] = counts[a].clone();
        }
        return copy;
    }

    /** Number of examples counted. */
    public long total() {
        long total = 0;
        for (long[] row : counts) {
            for (long n : row) {
                total += n;
            }
        }
        return total;
    }

    public long truePositives(int c) {
        return counts[checkedClass(c)][c];
    }

    /** Examples of another class predicted as c. */
    public long falsePositives(int c) {
        long predictedAsC = 0;
        for (long[] row : counts) {
            predictedAsC += row[checkedClass(c)];
        }
        return predictedAsC - counts[c][c];
    }

    /** Examples of class c predicted as another. */
    public long falseNegatives(int c) {
        long actualC = 0;
        for (long n : counts[checkedClass(c)]) {
            actualC += n;
        }
        return actualC - counts[c][c];
    }

    /** Examples whose actual class is c. */
    public long support(int c) {
        return truePositives(c) + falseNegatives(c);
    }

    /** TP / (TP + FP) for class c; 0 when c is never predicted. */
    public double precision(int c) {
        return ratio(truePositives(c), truePositives(c) + falsePositives(c));
    }

    /** TP / (TP + FN) for class c; 0 when c never occurs. */
    public double recall(int c) {
        return ratio(truePositives(c), truePositives(c) + falseNegatives(c));
    }

    /** 2TP / (2TP + FP + FN), the harmonic mean of precision and recall; 0 when both are 0. */
    public double f1(int c) {
        return f1(truePositives(c), falsePositives(c), falseNegatives(c));
    }

    public double precision(Average average) {
        return switch (average) {
            case MACRO -> macro(Score.PRECISION);
            case MICRO -> ratio(pooledTruePositives(), total());
        };
    }

    public double recall(Average average) {
        return switch (average) {
            case MACRO -> macro(Score.RECALL);
            case MICRO -> ratio(pooledTruePositives(), total());
        };
    }

    public double f1(Average average) {
        return switch (average) {
            case MACRO -> macro(Score.F1);
            // Pooled FP and FN both equal total − TP: every error is one class's FP and another's FN.
            case MICRO -> f1(pooledTruePositives(), total() - pooledTruePositives(), total() - pooledTruePositives());
        };
    }

    /** The fraction of examples on the diagonal; 0 for an empty matrix. */
    public double accuracy() {
        return ratio(pooledTruePositives(), total());
    }

    /** The counts as a table: one row per actual class, one column per predicted class. */
    @Override
    public String toString() {
        int width = 6;
        for (long[] row : counts) {
            for (long n : row) {
                width = Math.max(width, Long.toString(n).length() + 1);
            }
        }
        String cell = "%" + width + "s";
        StringBuilder out = new StringBuilder(String.format(cell, "a\\p"));
        for (int p = 0; p < counts.length; p++) {
            out.append(String.format(cell, p));
        }
        for (int a = 0; a < counts.length; a++) {
            out.append('\n').append(String.format(cell, a));
            for (long n : counts[a]) {
                out.append(String.format(cell, n));
            }
        }
        return out.toString();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ConfusionMatrix matrix && Arrays.deepEquals(counts, matrix.counts);
    }

    @Override
    public int hashCode() {
        return Arrays.deepHashCode(counts);
    }

    private enum Score { PRECISION, RECALL, F1 }

    private double macro(Score score) {
        double sum = 0;
        int present = 0;
        for (int c = 0; c < counts.length; c++) {
            if (support(c) + falsePositives(c) == 0) {
                continue;
            }
            present++;
            sum += switch (score) {
                case PRECISION -> precision(c);
                case RECALL -> recall(c);
                case F1 -> f1(c);
            };
        }
        return present == 0 ? 0 : sum / present;
    }

    private long pooledTruePositives() {
        long diagonal = 0;
        for (int c = 0; c < counts.length; c++) {
            diagonal += counts[c][c];
        }
        return diagonal;
    }

    private int checkedClass(int c) {
        if (c < 0 || c >= counts.length) {
            throw new IllegalArgumentException("class " + c + " is outside [0, " + counts.length + ")");
        }
        return c;
    }

    private static double f1(long truePositives, long falsePositives, long falseNegatives) {
        return ratio(2 * truePositives, 2 * truePositives + falsePositives + falseNegatives);
    }

    private static double ratio(long numerator, long denominator) {
        return denominator == 0 ? 0 : (double) numerator / denominator;
    }
}
