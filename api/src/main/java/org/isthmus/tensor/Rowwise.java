package org.isthmus.tensor;

/** softmax, log-softmax and log-sum-exp over one dimension, with their gradients. */
final class Rowwise {

    private Rowwise() {
    }

    static Tensor softmax(Tensor x, int dim) {
        int d = Shapes.dim(dim, x.dim(), "softmax");
        if (d != x.dim() - 1) {
            return softmax(x.transpose(d, -1), -1).transpose(d, -1);
        }
        Tensor in = x.contiguous();
        int cols = x.size(-1);
        int rows = rows(x, cols);
        Tensor y = Tensor.empty(x.shape());
        Kernels.backend().softmax(in.segment(), y.segment(), rows, cols);
        SavedTensor saved = new SavedTensor(y.detach(), "softmax");
        return Autograd.record("softmax", y, new Tensor[] {in}, grad -> {
            Tensor dx = Tensor.empty(x.shape());
            Kernels.backend().softmaxBackward(saved.get().segment(), grad.contiguous().segment(), dx.segment(), rows, cols);
            return new Tensor[] {dx};
        });
    }

    static Tensor logSoftmax(Tensor x, int dim) {
        int d = Shapes.dim(dim, x.dim(), "logSoftmax");
        if (d != x.dim() - 1) {
            return logSoftmax(x.transpose(d, -1), -1).transpose(d, -1);
        }
        Tensor in = x.contiguous();
        int cols = x.size(-1);
        int rows = rows(x, cols);
        Tensor y = Tensor.empty(x.shape());
        Kernels.backend().logSoftmax(in.segment(), y.segment(), rows, cols);
        SavedTensor saved = new SavedTensor(y.detach(), "logSoftmax");
        return Autograd.record("logSoftmax", y, new Tensor[] {in}, grad -> {
            Tensor dx = Tensor.empty(x.shape());
            Kernels.backend().logSoftmaxBackward(saved.get().segment(), grad.contiguous().segment(), dx.segment(), rows, cols);
            return new Tensor[] {dx};
        });
    }

    static Tensor logSumExp(Tensor x, int dim, boolean keepDim) {
        int d = Shapes.dim(dim, x.dim(), "logSumExp");
        if (d != x.dim() - 1) {
            Tensor moved = logSumExp(x.transpose(d, -1), -1, true).transpose(d, -1);
            return keepDim ? moved : moved.squeeze(d);
        }
        Tensor in = x.contiguous();
        int cols = x.size(-1);
        int rows = rows(x, cols);
        int[] reduced = x.shape();
        reduced[d] = 1;
        Tensor y = Tensor.empty(reduced);
        Kernels.backend().logSumExp(in.segment(), y.segment(), rows, cols);
        SavedTensor savedIn = new SavedTensor(in, "logSumExp");
        SavedTensor savedOut = new SavedTensor(y.detach(), "logSumExp");
        Tensor result = Autograd.record("logSumExp", y, new Tensor[] {in}, grad -> {
            Tensor dx = Tensor.empty(x.shape());
            Kernels.backend().logSumExpBackward(savedIn.get().segment(), savedOut.get().segment(),
                    grad.contiguous().segment(), dx.segment(), rows, cols);
            return new Tensor[] {dx};
        });
        return keepDim ? result : result.squeeze(d);
    }

    private static int rows(Tensor x, int cols) {
        return cols == 0 ? 0 : (int) (x.numel() / cols);
    }
}
