package org.isthmus.tensor;

import java.util.Arrays;

/** Arithmetic on shapes and strides, and the messages that show them. */
final class Shapes {

    private Shapes() {
    }

    static long numel(int[] shape) {
        long n = 1;
        for (int size : shape) {
            n *= size;
        }
        return n;
    }

    static int[] contiguousStrides(int[] shape) {
        int[] strides = new int[shape.length];
        long stride = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            strides[d] = (int) stride;
            stride *= Math.max(1, shape[d]);
        }
        return strides;
    }

    static int[] checkShape(int... shape) {
        for (int size : shape) {
            if (size < 0) {
                throw new IllegalArgumentException("sizes must be >= 0, got shape " + format(shape));
            }
        }
        if (numel(shape) > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("shape " + format(shape) + " holds more than " + (Integer.MAX_VALUE - 8)
                    + " elements");
        }
        return shape.clone();
    }

    /** Resolves a dimension given counting from the end when negative, for a tensor of {@code rank} dims. */
    static int dim(int dim, int rank, String op) {
        int resolved = dim < 0 ? dim + rank : dim;
        if (resolved < 0 || resolved >= rank) {
            throw new IllegalArgumentException(op + ": dim " + dim + " is out of range for a tensor of " + rank
                    + " dimension(s)");
        }
        return resolved;
    }

    /** The shape both operands broadcast to (NumPy rules), or an exception naming both. */
    static int[] broadcast(int[] a, int[] b, String op) {
        int rank = Math.max(a.length, b.length);
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            int sa = i < rank - a.length ? 1 : a[i - (rank - a.length)];
            int sb = i < rank - b.length ? 1 : b[i - (rank - b.length)];
            if (sa != sb && sa != 1 && sb != 1) {
                throw new IllegalArgumentException(op + ": shapes " + format(a) + " and " + format(b)
                        + " do not broadcast (dimension " + i + ": " + sa + " vs " + sb + ")");
            }
            out[i] = sa == 1 ? sb : sa;
        }
        return out;
    }

    /** The product of sizes in [from, to). */
    static int product(int[] shape, int from, int to) {
        long n = 1;
        for (int d = from; d < to; d++) {
            n *= shape[d];
        }
        return (int) n;
    }

    static String format(int[] shape) {
        return Arrays.toString(shape);
    }
}
