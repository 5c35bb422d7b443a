package org.isthmus.tensor;

/** sum, mean, max, argmax and variance over one dimension, with their gradients. */
final class Reductions {

    private Reductions() {
    }

    /** The input seen as outer×size×inner around dimension d. */
    private record Split(int outer, int size, int inner, int[] reducedShape) {
        static Split of(Tensor x, int dim, String op) {
            int[] shape = x.shape();
            int d = Shapes.dim(dim, shape.length, op);
            int[] reduced = shape.clone();
            reduced[d] = 1;
            return new Split(Shapes.product(shape, 0, d), shape[d], Shapes.product(shape, d + 1, shape.length), reduced);
        }

        Tensor shape(Tensor y, int dim, boolean keepDim) {
            return keepDim ? y : y.squeeze(dim);
        }
    }

    static Tensor sum(Tensor x, int dim, boolean keepDim) {
        return sumOrMean(x, dim, keepDim, false);
    }

    static Tensor mean(Tensor x, int dim, boolean keepDim) {
        return sumOrMean(x, dim, keepDim, true);
    }

    private static Tensor sumOrMean(Tensor x, int dim, boolean keepDim, boolean mean) {
        String op = mean ? "mean" : "sum";
        Split s = Split.of(x, dim, op);
        checkNotEmpty(x, s, dim, op);
        Tensor in = x.contiguous();
        Tensor y = Tensor.empty(s.reducedShape);
        if (mean) {
            Kernels.backend().mean(in.segment(), y.segment(), s.outer, s.size, s.inner);
        } else {
            Kernels.backend().sum(in.segment(), y.segment(), s.outer, s.size, s.inner);
        }
        float scale = mean ? 1f / s.size : 1f;
        int[] inputShape = x.shape();
        Tensor result = Autograd.record(op, y, new Tensor[] {in}, grad -> {
            Tensor dx = Tensor.empty(inputShape);
            Kernels.backend().expand(grad.contiguous().segment(), dx.segment(), s.outer, s.size, s.inner, scale);
            return new Tensor[] {dx};
        });
        return s.shape(result, Shapes.dim(dim, inputShape.length, op), keepDim);
    }

    static Tensor max(Tensor x, int dim, boolean keepDim) {
        Split s = Split.of(x, dim, "max");
        checkNotEmpty(x, s, dim, "max");
        Tensor in = x.contiguous();
        Tensor y = Tensor.empty(s.reducedShape);
        int[] indices = new int[s.outer * s.inner];
        Kernels.backend().max(in.segment(), y.segment(), java.lang.foreign.MemorySegment.ofArray(indices),
                s.outer, s.size, s.inner);
        int[] inputShape = x.shape();
        Tensor result = Autograd.record("max", y, new Tensor[] {in}, grad -> {
            Tensor dx = Tensor.empty(inputShape);
            Kernels.backend().maxBackward(grad.contiguous().segment(), java.lang.foreign.MemorySegment.ofArray(indices),
                    dx.segment(), s.outer, s.size, s.inner);
            return new Tensor[] {dx};
        });
        return s.shape(result, Shapes.dim(dim, inputShape.length, "max"), keepDim);
    }

    static Tensor argmax(Tensor x, int dim, boolean keepDim) {
        Split s = Split.of(x, dim, "argmax");
        checkNotEmpty(x, s, dim, "argmax");
        Tensor in = x.contiguous();
        Tensor values = Tensor.empty(s.reducedShape);
        int[] indices = new int[s.outer * s.inner];
        Kernels.backend().max(in.segment(), values.segment(), java.lang.foreign.MemorySegment.ofArray(indices),
                s.outer, s.size, s.inner);
        float[] asFloats = new float[indices.length];
        for (int i = 0; i < indices.length; i++) {
            asFloats[i] = indices[i];
        }
        Tensor result = Tensor.fromArray(asFloats, s.reducedShape);
        return keepDim ? result : result.squeeze(Shapes.dim(dim, x.dim(), "argmax"));
    }

    static Tensor variance(Tensor x, int dim, int correction, boolean keepDim) {
        Split s = Split.of(x, dim, "var");
        checkNotEmpty(x, s, dim, "var");
        Tensor in = x.contiguous();
        Tensor y = Tensor.empty(s.reducedShape);
        Kernels.backend().variance(in.segment(), y.segment(), s.outer, s.size, s.inner, correction);
        SavedTensor saved = new SavedTensor(in, "var");
        int[] inputShape = x.shape();
        Tensor result = Autograd.record("var", y, new Tensor[] {in}, grad -> {
            Tensor dx = Tensor.empty(inputShape);
            Kernels.backend().varianceBackward(saved.get().segment(), grad.contiguous().segment(), dx.segment(),
                    s.outer, s.size, s.inner, correction);
            return new Tensor[] {dx};
        });
        return s.shape(result, Shapes.dim(dim, inputShape.length, "var"), keepDim);
    }

    private static void checkNotEmpty(Tensor x, Split s, int dim, String op) {
        if (s.size == 0) {
            throw new IllegalArgumentException(op + ": cannot reduce over dimension " + dim + " of size 0 in shape "
                    + Shapes.format(x.shape()));
        }
    }
}
