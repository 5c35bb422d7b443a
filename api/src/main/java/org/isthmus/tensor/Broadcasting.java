package org.isthmus.tensor;

import java.util.Arrays;
import org.isthmus.kernels.Broadcast;

/**
 * How two broadcast operands map onto the kernels' rows×cols forms: b full, one row repeated, one
 * column repeated, or one value; and the reverse, summing a gradient back to an operand's shape.
 */
final class Broadcasting {

    private Broadcasting() {
    }

    /** b's layout against a contiguous operand of shape out, as rows×cols, or null when none fits. */
    record Layout(Broadcast form, int rows, int cols) {
    }

    static Layout layout(int[] b, int[] out) {
        long total = Shapes.numel(out);
        int[] padded = padLeft(b, out.length);
        if (Shapes.numel(b) == 1) {
            return new Layout(Broadcast.SCALAR, 1, (int) total);
        }
        if (Arrays.equals(padded, out)) {
            return new Layout(Broadcast.FULL, 1, (int) total);
        }
        // ROW: leading sizes 1, trailing sizes equal to out's.
        int k = 0;
        while (k < out.length && padded[k] == 1) {
            k++;
        }
        if (Arrays.equals(Arrays.copyOfRange(padded, k, out.length), Arrays.copyOfRange(out, k, out.length))) {
            return new Layout(Broadcast.ROW, Shapes.product(out, 0, k), Shapes.product(out, k, out.length));
        }
        // COLUMN: leading sizes equal to out's, trailing sizes 1.
        int e = out.length;
        while (e > 0 && padded[e - 1] == 1) {
            e--;
        }
        if (Arrays.equals(Arrays.copyOfRange(padded, 0, e), Arrays.copyOfRange(out, 0, e))) {
            return new Layout(Broadcast.COLUMN, Shapes.product(out, 0, e), Shapes.product(out, e, out.length));
        }
        return null;
    }

    /** grad summed over the dimensions along which an operand of {@code shape} was broadcast. */
    static Tensor sumTo(Tensor grad, int[] shape) {
        int[] gradShape = grad.shape();
        if (Arrays.equals(gradShape, shape)) {
            return grad;
        }
        int lead = gradShape.length - shape.length;
        Tensor g = grad;
        for (int d = 0; d < lead; d++) {
            g = g.sum(0, false);
        }
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 1 && g.size(d) != 1) {
                g = g.sum(d, true);
            }
        }
        return g.reshape(shape);
    }

    static int[] padLeft(int[] shape, int rank) {
        int[] padded = new int[rank];
        Arrays.fill(padded, 1);
        System.arraycopy(shape, 0, padded, rank - shape.length, shape.length);
        return padded;
    }
}
