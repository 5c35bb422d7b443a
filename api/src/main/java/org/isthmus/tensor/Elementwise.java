package org.isthmus.tensor;

import java.util.Arrays;
import org.isthmus.kernels.BinaryOp;
import org.isthmus.kernels.Broadcast;
import org.isthmus.kernels.UnaryOp;

/** Broadcasting arithmetic and elementwise functions, with their gradients, on the backend's kernels. */
final class Elementwise {

    private Elementwise() {
    }

    static Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        String name = op.name().toLowerCase(java.util.Locale.ROOT);
        int[] out = Shapes.broadcast(a.shape(), b.shape(), name);
        boolean commutative = op == BinaryOp.ADD || op == BinaryOp.MUL;
        if (commutative && !Arrays.equals(a.shape(), out) && Arrays.equals(b.shape(), out)) {
            return binary(op, b, a);
        }
        // The kernels take a full left operand; a broadcast one is expanded (a copy) first.
        Tensor left = Arrays.equals(a.shape(), out) ? a.contiguous() : a.expand(out).contiguous();
        Broadcasting.Layout layout = Broadcasting.layout(b.shape(), out);
        Tensor right = layout != null ? b.contiguous() : b.expand(out).contiguous();
        Broadcasting.Layout form = layout != null ? layout : new Broadcasting.Layout(Broadcast.FULL, 1, (int) Shapes.numel(out));
        Tensor y = Tensor.empty(out);
        Kernels.backend().binary(op, left.segment(), right.segment(), form.form(), y.segment(), form.rows(), form.cols());
        SavedTensor savedLeft = new SavedTensor(left, name);
        SavedTensor savedRight = new SavedTensor(right, name);
        return Autograd.record(name, y, new Tensor[] {left, right}, grad -> {
            Tensor g = grad.contiguous();
            Tensor dA = left.requiresGrad() ? Tensor.empty(out) : null;
            Tensor dB = right.requiresGrad() ? Tensor.empty(right.shape()) : null;
            Kernels.backend().binaryBackward(op, savedLeft.get().segment(), savedRight.get().segment(), form.form(),
                    g.segment(), dA == null ? null : dA.segment(), dB == null ? null : dB.segment(), form.rows(), form.cols());
            return new Tensor[] {dA, dB};
        });
    }

    static Tensor unary(UnaryOp f, String name, Tensor x) {
        Tensor input = x.contiguous();
        Tensor y = Tensor.empty(x.shape());
        int n = (int) x.numel();
        Kernels.backend().unary(f, input.segment(), y.segment(), n);
        SavedTensor savedInput = new SavedTensor(input, name);
        Tensor output = y.detach();
        SavedTensor savedOutput = new SavedTensor(output, name);
        return Autograd.record(name, y, new Tensor[] {input}, grad -> {
            Tensor dx = Tensor.empty(input.shape());
            Kernels.backend().unaryBackward(f, savedInput.get().segment(), savedOutput.get().segment(),
                    grad.contiguous().segment(), dx.segment(), n);
            return new Tensor[] {dx};
        });
    }
}
