package org.isthmus.tensor;

import java.util.Arrays;

/**
 * matmul on sgemm. A 2-D operand whose elements are a transposed view is passed as a transpose with
 * its own leading dimension, so {@code a.matmul(b.t())} and the backward pass copy nothing.
 */
final class MatrixProduct {

    private MatrixProduct() {
    }

    static Tensor matmul(Tensor a, Tensor b) {
        if (a.dim() == 0 || b.dim() == 0) {
            throw new IllegalArgumentException("matmul needs tensors of at least one dimension, got shapes "
                    + Shapes.format(a.shape()) + " and " + Shapes.format(b.shape()));
        }
        if (a.dim() == 1 && b.dim() == 1) {
            return mm(a.unsqueeze(0), b.unsqueeze(1)).reshape();
        }
        if (a.dim() == 1) {
            return matmul(a.unsqueeze(0), b).squeeze(-2);
        }
        if (b.dim() == 1) {
            return matmul(a, b.unsqueeze(1)).squeeze(-1);
        }
        if (a.dim() == 2 && b.dim() == 2) {
            return mm(a, b);
        }
        checkInner(a, b);
        int m = a.size(-2);
        int k = a.size(-1);
        int n = b.size(-1);
        int[] batchA = Arrays.copyOf(a.shape(), a.dim() - 2);
        int[] batchB = Arrays.copyOf(b.shape(), b.dim() - 2);
        if (b.dim() == 2 && a.isContiguous()) {
            // A batch times one matrix is one tall product.
            int[] outShape = Arrays.copyOf(a.shape(), a.dim());
            outShape[outShape.length - 1] = n;
            return mm(a.reshape(-1, k), b).reshape(outShape);
        }
        int[] batch = Shapes.broadcast(batchA, batchB, "matmul");
        int count = (int) Shapes.numel(batch);
        Tensor a3 = a.expand(concat(batch, m, k)).reshape(count, m, k);
        Tensor b3 = b.expand(concat(batch, k, n)).reshape(count, k, n);
        return bmm(a3, b3).reshape(concat(batch, m, n));
    }

    /** The product of two 2-D tensors. */
    static Tensor mm(Tensor a, Tensor b) {
        checkInner(a, b);
        int m = a.size(0);
        int n = b.size(1);
        Tensor c = Tensor.empty(new int[] {m, n});
        multiply(a, b, c, 0);
        return Autograd.record("matmul", c, new Tensor[] {a, b}, grad -> new Tensor[] {
                a.requiresGrad() ? mm(grad, b.t()) : null,
                b.requiresGrad() ? mm(a.t(), grad) : null});
    }

    /** A batch of products: [batch, m, k] · [batch, k, n]. */
    static Tensor bmm(Tensor a, Tensor b) {
        if (a.size(0) != b.size(0)) {
            throw new IllegalArgumentException("bmm: batch sizes differ, shapes " + Shapes.format(a.shape()) + " and "
                    + Shapes.format(b.shape()));
        }
        checkInner(a, b);
        int batch = a.size(0);
        int m = a.size(1);
        int n = b.size(2);
        Tensor c = Tensor.empty(new int[] {batch, m, n});
        for (int i = 0; i < batch; i++) {
            multiply(a.detach().select(0, i), b.detach().select(0, i), c, (long) i * m * n);
        }
        return Autograd.record("bmm", c, new Tensor[] {a, b}, grad -> new Tensor[] {
                a.requiresGrad() ? bmm(grad, b.transpose(1, 2)) : null,
                b.requiresGrad() ? bmm(a.transpose(1, 2), grad) : null});
    }

    /** c[cOffset…] = a·b for 2-D a and b, passing transposed views to sgemm as transposes. */
    private static void multiply(Tensor a, Tensor b, Tensor c, long cOffset) {
        int m = a.size(0);
        int k = a.size(1);
        int n = b.size(1);
        Operand left = Operand.of(a);
        Operand right = Operand.of(b);
        Kernels.backend().sgemm(left.transposed, right.transposed, m, n, k, 1f,
                left.tensor.storage().segment(), left.tensor.offset(), left.ld,
                right.tensor.storage().segment(), right.tensor.offset(), right.ld,
                0f, c.storage().segment(), c.offset() + cOffset, Math.max(1, n));
    }

    /** A 2-D tensor as sgemm reads it: stored as is or transposed, with its leading dimension. */
    private record Operand(Tensor tensor, boolean transposed, int ld) {
        static Operand of(Tensor t) {
            int rows = t.size(0);
            int cols = t.size(1);
            int[] s = t.strides();
            if (cols == 1 || s[1] == 1) {
                int ld = rows == 1 ? Math.max(1, cols) : s[0];
                if (ld >= Math.max(1, cols)) {
                    return new Operand(t, false, ld);
                }
            }
            if (rows == 1 || s[0] == 1) {
                int ld = cols == 1 ? Math.max(1, rows) : s[1];
                if (ld >= Math.max(1, rows)) {
                    return new Operand(t, true, ld);
                }
            }
            return new Operand(t.contiguous().detach(), false, Math.max(1, cols));
        }
    }

    private static void checkInner(Tensor a, Tensor b) {
        if (a.size(-1) != b.size(-2)) {
            throw new IllegalArgumentException("matmul: shapes " + Shapes.format(a.shape()) + " and "
                    + Shapes.format(b.shape()) + " cannot be multiplied (" + a.size(-1) + " != " + b.size(-2) + ")");
        }
    }

    private static int[] concat(int[] batch, int rows, int cols) {
        int[] shape = Arrays.copyOf(batch, batch.length + 2);
        shape[batch.length] = rows;
        shape[batch.length + 1] = cols;
        return shape;
    }
}
