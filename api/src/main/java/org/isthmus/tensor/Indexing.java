package org.isthmus.tensor;

import java.util.Arrays;
import java.util.List;

/** Joining tensors and picking elements by index, with gradients. */
final class Indexing {

    private Indexing() {
    }

    static Tensor cat(List<Tensor> tensors, int dim) {
        if (tensors.isEmpty()) {
            throw new IllegalArgumentException("cat needs at least one tensor");
        }
        int[] first = tensors.get(0).shape();
        int d = Shapes.dim(dim, first.length, "cat");
        int total = 0;
        for (Tensor t : tensors) {
            int[] s = t.shape();
            boolean fits = s.length == first.length;
            for (int i = 0; fits && i < s.length; i++) {
                fits = i == d || s[i] == first[i];
            }
            if (!fits) {
                throw new IllegalArgumentException("cat along dim " + dim + ": shapes " + shapes(tensors)
                        + " differ outside that dimension");
            }
            total += s[d];
        }
        int[] outShape = first.clone();
        outShape[d] = total;
        Tensor out = Tensor.empty(outShape);
        int[] starts = new int[tensors.size()];
        int position = 0;
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            starts[i] = position;
            StridedCopy.copy(t, out.detach().narrow(d, position, t.size(d)));
            position += t.size(d);
        }
        Tensor[] inputs = tensors.toArray(Tensor[]::new);
        return Autograd.record("cat", out, inputs, grad -> {
            Tensor[] grads = new Tensor[inputs.length];
            for (int i = 0; i < inputs.length; i++) {
                grads[i] = grad.narrow(d, starts[i], inputs[i].size(d)).contiguous();
            }
            return grads;
        });
    }

    static Tensor stack(List<Tensor> tensors, int dim) {
        if (tensors.isEmpty()) {
            throw new IllegalArgumentException("stack needs at least one tensor");
        }
        int[] first = tensors.get(0).shape();
        for (Tensor t : tensors) {
            if (!Arrays.equals(t.shape(), first)) {
                throw new IllegalArgumentException("stack needs tensors of one shape, got " + shapes(tensors));
            }
        }
        int d = Shapes.dim(dim, first.length + 1, "stack");
        return cat(tensors.stream().map(t -> t.unsqueeze(d)).toList(), d);
    }

    static Tensor gather(Tensor x, int dim, Tensor index) {
        int[] xShape = x.shape();
        int[] iShape = index.shape();
        int d = Shapes.dim(dim, xShape.length, "gather");
        if (iShape.length != xShape.length) {
            throw new IllegalArgumentException("gather: index of shape " + Shapes.format(iShape) + " needs as many "
                    + "dimensions as the input of shape " + Shapes.format(xShape));
        }
        for (int i = 0; i < xShape.length; i++) {
            if (i != d && iShape[i] > xShape[i]) {
                throw new IllegalArgumentException("gather: index of shape " + Shapes.format(iShape) + " exceeds the input "
                        + "of shape " + Shapes.format(xShape) + " in dimension " + i);
            }
        }
        long[] positions = positions(x, d, index, "gather");
        Tensor out = Tensor.empty(iShape);
        for (int i = 0; i < positions.length; i++) {
            out.storage().set(i, x.storage().get(positions[i]));
        }
        return Autograd.record("gather", out, new Tensor[] {x}, grad -> {
            Tensor dx = Tensor.zeros(xShape);
            Tensor g = grad.contiguous();
            long[] gradPositions = positions(dx, d, index, "gather");
            for (int i = 0; i < gradPositions.length; i++) {
                dx.storage().set(gradPositions[i], dx.storage().get(gradPositions[i]) + g.storage().get(g.offset() + i));
            }
            return new Tensor[] {dx};
        });
    }

    /** For each element of index (row-major), the storage position in x it selects along dim d. */
    private static long[] positions(Tensor x, int d, Tensor index, String op) {
        int[] iShape = index.shape();
        int[] xStrides = x.strides();
        float[] values = index.toArray();
        long[] positions = new long[values.length];
        int[] coordinate = new int[iShape.length];
        for (int i = 0; i < values.length; i++) {
            int selected = wholeNumber(values[i], x.size(d), op, i);
            long p = x.offset();
            for (int k = 0; k < iShape.length; k++) {
                p += (long) (k == d ? selected : coordinate[k]) * xStrides[k];
            }
            positions[i] = p;
            for (int k = iShape.length - 1; k >= 0; k--) {
                if (++coordinate[k] < iShape[k]) {
                    break;
                }
                coordinate[k] = 0;
            }
        }
        return positions;
    }

    static Tensor oneHot(Tensor indices, int classes) {
        if (classes < 1) {
            throw new IllegalArgumentException("oneHot: classes=" + classes + " must be >= 1");
        }
        float[] values = indices.toArray();
        int[] shape = Arrays.copyOf(indices.shape(), indices.dim() + 1);
        shape[indices.dim()] = classes;
        Tensor out = Tensor.empty(shape);
        for (int i = 0; i < values.length; i++) {
            out.storage().set((long) i * classes + wholeNumber(values[i], classes, "oneHot", i), 1f);
        }
        return out;
    }

    /** The value as an index in [0, bound), or an exception naming the op and the position. */
    static int wholeNumber(float value, int bound, String op, int position) {
        int index = (int) value;
        if (index != value || index < 0 || index >= bound) {
            throw new IllegalArgumentException(op + ": index " + value + " at position " + position
                    + " is not a whole number in [0, " + bound + ")");
        }
        return index;
    }

    private static String shapes(List<Tensor> tensors) {
        return tensors.stream().map(t -> Shapes.format(t.shape())).toList().toString();
    }
}
