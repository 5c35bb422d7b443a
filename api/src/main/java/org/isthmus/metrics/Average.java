package org.isthmus.metrics;

/** How per-class precision, recall and F1 become one number (scikit-learn's {@code average=}). */
public enum Average {
    /**
     * The unweighted mean of the per-class scores over the classes that occur in the actual or the
     * predicted labels (scikit-learn's default label set); each class counts the same however rare.
     */
    MACRO,
    /**
     * The score of the pooled counts: true positives, false positives and false negatives summed over
     * every class first. With one label per example, micro precision, recall and F1 all equal accuracy.
     */
    MICRO
}
