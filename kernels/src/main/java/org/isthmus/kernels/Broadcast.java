package org.isthmus.kernels;

/** How the second operand of {@link Backend#binary} on a rows×cols matrix is stored. */
public enum Broadcast {
    /** rows×cols, one value per element. */
    FULL,
    /** One row of cols values, the same for every row (a bias added to each sample). */
    ROW,
    /** One column of rows values, one per row (a per-row scale). */
    COLUMN,
    /** A single value for every element. */
    SCALAR;

    /** How many elements b holds in this shape. */
    public long size(int rows, int cols) {
        return switch (this) {
            case FULL -> (long) rows * cols;
            case ROW -> cols;
            case COLUMN -> rows;
            case SCALAR -> 1;
        };
    }
}
