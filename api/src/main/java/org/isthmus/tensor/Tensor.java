package org.isthmus.tensor;

import java.util.Arrays;
import java.util.List;
import java.util.random.RandomGenerator;
import org.isthmus.kernels.UnaryOp;

/**
 * A float32 n-dimensional array with reverse-mode autograd, as PyTorch users know it: a shape, strides
 * and an offset over a {@link Storage} that views share. Heavy operations run on
 * {@code Backends.current()}; every operation validates shapes and throws
 * {@link IllegalArgumentException} showing them.
 *
 * <p>Index tensors (argmax results, gather indices, class targets) are float32 tensors holding whole
 * numbers, exact up to 2²⁴.
 */
public final class Tensor {

    private final Storage storage;
    private final int[] shape;
    private final int[] strides;
    private final long offset;
    private boolean requiresGrad;
    private Tensor grad;
    private Node gradFn;

    Tensor(Storage storage, int[] shape, int[] strides, long offset) {
        this.storage = storage;
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
    }

    /** A fresh contiguous heap tensor of zeros. */
    static Tensor empty(int[] shape) {
        return new Tensor(Storage.allocate(Shapes.numel(shape)), shape.clone(), Shapes.contiguousStrides(shape), 0);
    }

    // ---------------------------------------------------------------- factories

    public static Tensor zeros(int... shape) {
        return empty(Shapes.checkShape(shape));
    }

    public static Tensor ones(int... shape) {
        return full(1f, shape);
    }

    public static Tensor full(float value, int... shape) {
        Tensor t = empty(Shapes.checkShape(shape));
        Arrays.fill(t.storage.array(), value);
        return t;
    }

    /** A 0-dimensional tensor holding one value. */
    public static Tensor scalar(float value) {
        return full(value);
    }

    /** [0, 1, …, n − 1]. */
    public static Tensor arange(int n) {
        return arange(0, n, 1);
    }

    /** start, start + step, … while below end (above, for a negative step). */
    public static Tensor arange(float start, float end, float step) {
        if (step == 0 || !Float.isFinite(start) || !Float.isFinite(end) || !Float.isFinite(step)) {
            throw new IllegalArgumentException("arange(" + start + ", " + end + ", " + step + "): step must be non-zero "
                    + "and all finite");
        }
        int n = (int) Math.max(0, Math.ceil((end - (double) start) / step));
        Tensor t = empty(new int[] {n});
        for (int i = 0; i < n; i++) {
            t.storage.array()[i] = (float) (start + (double) i * step);
        }
        return t;
    }

    /** A tensor holding a copy of data in the given shape (data.length must equal the shape's size). */
    public static Tensor fromArray(float[] data, int... shape) {
        Shapes.checkShape(shape);
        if (Shapes.numel(shape) != data.length) {
            throw new IllegalArgumentException("fromArray: " + data.length + " values do not fill shape "
                    + Shapes.format(shape) + " (" + Shapes.numel(shape) + " elements)");
        }
        return new Tensor(Storage.wrap(data.clone()), shape.clone(), Shapes.contiguousStrides(shape), 0);
    }

    /** A contiguous tensor over an existing storage (no copy), e.g. native memory. */
    public static Tensor of(Storage storage, int... shape) {
        Shapes.checkShape(shape);
        if (Shapes.numel(shape) > storage.size()) {
            throw new IllegalArgumentException("shape " + Shapes.format(shape) + " needs " + Shapes.numel(shape)
                    + " elements but the storage holds " + storage.size());
        }
        return new Tensor(storage, shape.clone(), Shapes.contiguousStrides(shape), 0);
    }

    /** Standard normal samples drawn from the generator (seed it for reproducible runs). */
    public static Tensor randn(RandomGenerator random, int... shape) {
        Tensor t = empty(Shapes.checkShape(shape));
        float[] a = t.storage.array();
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) random.nextGaussian();
        }
        return t;
    }

    /** Uniform samples in [0, 1). */
    public static Tensor rand(RandomGenerator random, int... shape) {
        Tensor t = empty(Shapes.checkShape(shape));
        float[] a = t.storage.array();
        for (int i = 0; i < a.length; i++) {
            a[i] = random.nextFloat();
        }
        return t;
    }

    /** 1 with probability p, else 0. */
    public static Tensor bernoulli(RandomGenerator random, float p, int... shape) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("bernoulli: p=" + p + " must lie in [0, 1]");
        }
        Tensor t = empty(Shapes.checkShape(shape));
        float[] a = t.storage.array();
        for (int i = 0; i < a.length; i++) {
            a[i] = random.nextFloat() < p ? 1f : 0f;
        }
        return t;
    }

    // ---------------------------------------------------------------- what it is

    public int[] shape() {
        return shape.clone();
    }

    public int size(int dim) {
        return shape[Shapes.dim(dim, shape.length, "size")];
    }

    public int dim() {
        return shape.length;
    }

    public long numel() {
        return Shapes.numel(shape);
    }

    public int[] strides() {
        return strides.clone();
    }

    /** Index in the storage of the first element. */
    public long offset() {
        return offset;
    }

    public Storage storage() {
        return storage;
    }

    /** Whether the elements lie in row-major order without gaps. */
    public boolean isContiguous() {
        long expected = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] != 1 && strides[d] != expected) {
                return false;
            }
            expected *= shape[d];
        }
        return true;
    }

    /** The element at these indices (one per dimension). */
    public float get(int... index) {
        return storage.get(position(index, "get"));
    }

    /** The value of a one-element tensor. */
    public float item() {
        if (numel() != 1) {
            throw new IllegalArgumentException("item() needs a tensor with one element, got shape " + Shapes.format(shape));
        }
        return storage.get(offset);
    }

    /** The elements in row-major order, copied. */
    public float[] toArray() {
        Tensor c = contiguous();
        float[] out = new float[(int) numel()];
        if (c.storage.isHeap()) {
            System.arraycopy(c.storage.array(), (int) c.offset, out, 0, out.length);
        } else {
            for (int i = 0; i < out.length; i++) {
                out[i] = c.storage.get(c.offset + i);
            }
        }
        return out;
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("Tensor").append(Shapes.format(shape));
        if (numel() <= 16) {
            s.append(' ').append(Arrays.toString(toArray()));
        }
        if (gradFn != null) {
            s.append(" (grad_fn ").append(gradFn.op).append(')');
        } else if (requiresGrad) {
            s.append(" (requires grad)");
        }
        return s.toString();
    }

    /** The elements of this contiguous tensor as the kernels take them. */
    java.lang.foreign.MemorySegment segment() {
        if (!isContiguous()) {
            throw new IllegalStateException("segment() of a non-contiguous tensor");
        }
        return storage.segment().asSlice(offset * Float.BYTES, numel() * Float.BYTES);
    }

    private long position(int[] index, String op) {
        if (index.length != shape.length) {
            throw new IllegalArgumentException(op + ": " + index.length + " indices for a tensor of shape " + Shapes.format(shape));
        }
        long p = offset;
        for (int d = 0; d < index.length; d++) {
            if (index[d] < 0 || index[d] >= shape[d]) {
                throw new IllegalArgumentException(op + ": index " + Arrays.toString(index) + " is out of bounds for shape "
                        + Shapes.format(shape));
            }
            p += (long) index[d] * strides[d];
        }
        return p;
    }

    // ---------------------------------------------------------------- autograd

    /** Whether a gradient flows to this tensor: a leaf that asked for one, or the result of an op on one. */
    public boolean requiresGrad() {
        return requiresGrad || gradFn != null;
    }

    /** Marks a leaf tensor as a parameter whose gradient backward() accumulates into {@link #grad()}. */
    public Tensor requiresGrad(boolean requires) {
        if (gradFn != null) {
            throw new IllegalArgumentException("requiresGrad(" + requires + ") applies to leaf tensors; this one is the "
                    + "result of '" + gradFn.op + "' (use detach() to get a leaf)");
        }
        this.requiresGrad = requires;
        return this;
    }

    /** Whether this tensor was made by the user rather than recorded as the result of an operation. */
    public boolean isLeaf() {
        return gradFn == null;
    }

    /** The accumulated gradient, or null before any backward pass reached this tensor. */
    public Tensor grad() {
        return grad;
    }

    /** Replaces the gradient (null clears it, as optimizers' zeroGrad does). */
    public void setGrad(Tensor grad) {
        if (grad != null && !Arrays.equals(grad.shape, shape)) {
            throw new IllegalArgumentException("a gradient of shape " + Shapes.format(grad.shape)
                    + " does not fit a tensor of shape " + Shapes.format(shape));
        }
        this.grad = grad;
    }

    /** The name of the operation that produced this tensor, or null for a leaf. */
    public String gradFnName() {
        return gradFn == null ? null : gradFn.op;
    }

    Node gradFn() {
        return gradFn;
    }

    void setGradFn(Node node) {
        this.gradFn = node;
    }

    /** Keeps this intermediate tensor's gradient in {@link #grad()} on the next backward pass. */
    public Tensor retainGrad() {
        if (gradFn != null) {
            gradFn.retainedOutput = this;
        }
        return this;
    }

    /** Backward from a one-element loss: accumulates d(this)/d(leaf) into every leaf's grad(). */
    public void backward() {
        if (numel() != 1) {
            throw new IllegalArgumentException("backward() without a gradient needs a one-element tensor, got shape "
                    + Shapes.format(shape) + "; pass the gradient of the output: backward(gradient)");
        }
        backward(ones(shape), false);
    }

    /** Backward with the given gradient of this tensor (its shape). */
    public void backward(Tensor gradient) {
        backward(gradient, false);
    }

    /**
     * Backward with the given gradient; retainGraph keeps what the operations saved so that backward can
     * run through the same graph again. Without it the graph is freed as it goes.
     */
    public void backward(Tensor gradient, boolean retainGraph) {
        if (!requiresGrad()) {
            throw new IllegalStateException("backward() on a tensor that does not require grad: no input of the "
                    + "computation had requiresGrad(true), or it ran inside noGrad()");
        }
        if (!Arrays.equals(gradient.shape, shape)) {
            throw new IllegalArgumentException("backward: the gradient has shape " + Shapes.format(gradient.shape)
                    + " but the tensor has shape " + Shapes.format(shape));
        }
        Autograd.backward(this, gradient.detach(), retainGraph);
    }

    /** The same elements (shared storage) cut from the graph: no gradient flows through the result. */
    public Tensor detach() {
        return new Tensor(storage, shape, strides, offset);
    }

    // ---------------------------------------------------------------- views

    /** The same elements in another shape, never copying; -1 infers one size. */
    public Tensor view(int... newShape) {
        int[] target = inferShape(newShape, "view");
        int[] newStrides = viewStrides(target);
        if (newStrides == null) {
            throw new IllegalArgumentException("view: a tensor of shape " + Shapes.format(shape) + " with strides "
                    + Arrays.toString(strides) + " cannot be viewed as " + Shapes.format(target)
                    + " without copying; call contiguous() first, or use reshape()");
        }
        return viewResult("view", target, newStrides, offset, grad -> new Tensor[] {grad.reshape(shape)});
    }

    /** view() when the strides allow it, otherwise a contiguous copy in the new shape; -1 infers one size. */
    public Tensor reshape(int... newShape) {
        int[] target = inferShape(newShape, "reshape");
        if (viewStrides(target) != null) {
            return view(target);
        }
        return contiguous().view(target);
    }

    /** Dimensions reordered: dims[i] is the old dimension that becomes dimension i. */
    public Tensor permute(int... dims) {
        if (dims.length != shape.length) {
            throw new IllegalArgumentException("permute" + Arrays.toString(dims) + ": needs " + shape.length
                    + " dimensions for a tensor of shape " + Shapes.format(shape));
        }
        int[] newShape = new int[dims.length];
        int[] newStrides = new int[dims.length];
        int[] inverse = new int[dims.length];
        boolean[] seen = new boolean[dims.length];
        for (int i = 0; i < dims.length; i++) {
            int d = Shapes.dim(dims[i], shape.length, "permute");
            if (seen[d]) {
                throw new IllegalArgumentException("permute" + Arrays.toString(dims) + ": dimension " + d + " repeats");
            }
            seen[d] = true;
            newShape[i] = shape[d];
            newStrides[i] = strides[d];
            inverse[d] = i;
        }
        return viewResult("permute", newShape, newStrides, offset, grad -> new Tensor[] {grad.permute(inverse)});
    }

    /** Swaps two dimensions. */
    public Tensor transpose(int dim0, int dim1) {
        int a = Shapes.dim(dim0, shape.length, "transpose");
        int b = Shapes.dim(dim1, shape.length, "transpose");
        int[] order = new int[shape.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        order[a] = b;
        order[b] = a;
        return permute(order);
    }

    /** The transpose of a 2-D tensor. */
    public Tensor t() {
        if (shape.length != 2) {
            throw new IllegalArgumentException("t() needs a 2-D tensor, got shape " + Shapes.format(shape));
        }
        return transpose(0, 1);
    }

    /** Every dimension of size 1 removed. */
    public Tensor squeeze() {
        return view(Arrays.stream(shape).filter(s -> s != 1).toArray());
    }

    /** Dimension dim removed if its size is 1 (otherwise the same shape). */
    public Tensor squeeze(int dim) {
        int d = Shapes.dim(dim, shape.length, "squeeze");
        if (shape[d] != 1) {
            return view(shape);
        }
        int[] newShape = new int[shape.length - 1];
        int[] newStrides = new int[shape.length - 1];
        for (int i = 0, j = 0; i < shape.length; i++) {
            if (i != d) {
                newShape[j] = shape[i];
                newStrides[j++] = strides[i];
            }
        }
        return viewResult("squeeze", newShape, newStrides, offset, grad -> new Tensor[] {grad.reshape(shape)});
    }

    /** A new dimension of size 1 inserted at dim (−1 appends). */
    public Tensor unsqueeze(int dim) {
        int d = Shapes.dim(dim, shape.length + 1, "unsqueeze");
        int[] newShape = new int[shape.length + 1];
        int[] newStrides = new int[shape.length + 1];
        for (int i = 0, j = 0; i < newShape.length; i++) {
            if (i == d) {
                newShape[i] = 1;
                newStrides[i] = d < shape.length ? strides[d] * shape[d] : 1;
            } else {
                newShape[i] = shape[j];
                newStrides[i] = strides[j++];
            }
        }
        return viewResult("unsqueeze", newShape, newStrides, offset, grad -> new Tensor[] {grad.reshape(shape)});
    }

    /** All dimensions merged into one. */
    public Tensor flatten() {
        return reshape(-1);
    }

    /** Dimensions start..end (inclusive) merged into one. */
    public Tensor flatten(int startDim, int endDim) {
        if (shape.length == 0) {
            return reshape(1);
        }
        int s = Shapes.dim(startDim, shape.length, "flatten");
        int e = Shapes.dim(endDim, shape.length, "flatten");
        if (s > e) {
            throw new IllegalArgumentException("flatten: startDim " + startDim + " comes after endDim " + endDim);
        }
        int[] newShape = new int[shape.length - (e - s)];
        for (int i = 0, j = 0; i < shape.length; i++) {
            if (i <= s || i > e) {
                newShape[j++] = i == s ? Shapes.product(shape, s, e + 1) : shape[i];
            }
        }
        return reshape(newShape);
    }

    /** The elements start .. start + length − 1 along dim (a view). */
    public Tensor narrow(int dim, int start, int length) {
        int d = Shapes.dim(dim, shape.length, "narrow");
        if (start < 0 || length < 0 || start + length > shape[d]) {
            throw new IllegalArgumentException("narrow(dim " + dim + ", start " + start + ", length " + length
                    + ") is out of bounds for shape " + Shapes.format(shape));
        }
        int[] newShape = shape.clone();
        newShape[d] = length;
        int[] inputShape = shape;
        return viewResult("narrow", newShape, strides.clone(), offset + (long) start * strides[d], grad -> {
            Tensor full = zeros(inputShape);
            full.narrow(d, start, length).copy_(grad);
            return new Tensor[] {full};
        });
    }

    /** The elements [start, end) along dim (a view). */
    public Tensor slice(int dim, int start, int end) {
        return narrow(dim, start, end - start);
    }

    /** Index {@code index} along dim, that dimension removed (a view). */
    public Tensor select(int dim, int index) {
        int d = Shapes.dim(dim, shape.length, "select");
        if (index < 0 || index >= shape[d]) {
            throw new IllegalArgumentException("select(dim " + dim + ", index " + index + ") is out of bounds for shape "
                    + Shapes.format(shape));
        }
        return narrow(d, index, 1).squeeze(d);
    }

    /** This tensor broadcast to a larger shape without copying (stride 0 along the new sizes). */
    public Tensor expand(int... newShape) {
        int rank = newShape.length;
        if (rank < shape.length) {
            throw new IllegalArgumentException("expand: shape " + Shapes.format(shape) + " cannot expand to fewer dimensions "
                    + Shapes.format(newShape));
        }
        int[] newStrides = new int[rank];
        int[] target = newShape.clone();
        for (int i = 0; i < rank; i++) {
            int j = i - (rank - shape.length);
            int size = j < 0 ? 1 : shape[j];
            if (target[i] == -1 && j >= 0) {
                target[i] = size;
            }
            if (size == target[i]) {
                newStrides[i] = j < 0 ? 0 : strides[j];
            } else if (size == 1) {
                newStrides[i] = 0;
            } else {
                throw new IllegalArgumentException("expand: shape " + Shapes.format(shape) + " cannot expand to "
                        + Shapes.format(newShape) + " (dimension " + i + ")");
            }
        }
        int[] inputShape = shape;
        return viewResult("expand", target, newStrides, offset, grad -> new Tensor[] {Broadcasting.sumTo(grad, inputShape)});
    }

    /** This tensor when its elements are contiguous, otherwise a contiguous copy. */
    public Tensor contiguous() {
        return isContiguous() ? this : clone();
    }

    /** A contiguous copy of the elements; gradients flow back to this tensor. */
    @Override
    public Tensor clone() {
        Tensor out = empty(shape);
        StridedCopy.copy(this, out);
        return Autograd.record("clone", out, new Tensor[] {this}, grad -> new Tensor[] {grad});
    }

    private Tensor viewResult(String op, int[] newShape, int[] newStrides, long newOffset, Node.Backward backward) {
        Tensor view = new Tensor(storage, newShape, newStrides, newOffset);
        return Autograd.record(op, view, new Tensor[] {this}, backward);
    }

    private int[] inferShape(int[] newShape, String op) {
        int[] target = newShape.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < target.length; i++) {
            if (target[i] == -1) {
                if (infer >= 0) {
                    throw new IllegalArgumentException(op + Arrays.toString(newShape) + ": only one size may be -1");
                }
                infer = i;
            } else if (target[i] < 0) {
                throw new IllegalArgumentException(op + Arrays.toString(newShape) + ": sizes must be >= 0 or -1");
            } else {
                known *= target[i];
            }
        }
        if (infer >= 0) {
            if (known == 0 || numel() % known != 0) {
                throw new IllegalArgumentException(op + Arrays.toString(newShape) + ": cannot infer -1 for a tensor of shape "
                        + Shapes.format(shape));
            }
            target[infer] = (int) (numel() / known);
        }
        if (Shapes.numel(target) != numel()) {
            throw new IllegalArgumentException(op + ": shape " + Shapes.format(shape) + " (" + numel() + " elements) cannot "
                    + "become " + Shapes.format(target) + " (" + Shapes.numel(target) + " elements)");
        }
        return target;
    }

    /**
     * Strides that show these elements in the target shape, or null when only a copy can: runs of old
     * dimensions that are contiguous with each other ("chunks") may be split or merged freely.
     */
    private int[] viewStrides(int[] target) {
        if (isContiguous() || numel() == 0) {
            return Shapes.contiguousStrides(target);
        }
        int[] newStrides = new int[target.length];
        int viewDim = target.length - 1;
        long chunkBaseStride = strides[strides.length - 1];
        long tensorNumel = 1;
        long viewNumel = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            tensorNumel *= shape[d];
            boolean chunkEnds = d == 0 || shape[d - 1] != 1 && strides[d - 1] != tensorNumel * chunkBaseStride;
            if (chunkEnds) {
                while (viewDim >= 0 && (viewNumel < tensorNumel || target[viewDim] == 1)) {
                    newStrides[viewDim] = (int) (viewNumel * chunkBaseStride);
                    viewNumel *= target[viewDim];
                    viewDim--;
                }
                if (viewNumel != tensorNumel) {
                    return null;
                }
                if (d > 0) {
                    chunkBaseStride = strides[d - 1];
                    tensorNumel = 1;
                    viewNumel = 1;
                }
            }
        }
        return viewDim == -1 ? newStrides : null;
    }

    // ---------------------------------------------------------------- in place

    /** Copies src (broadcast to this shape) into this tensor's elements; visible through every view. */
    public Tensor copy_(Tensor src) {
        checkInPlace("copy_");
        Tensor source = Arrays.equals(src.shape, shape) ? src : src.detach().expand(shape);
        StridedCopy.copy(source, this);
        storage.bumpVersion();
        return this;
    }

    public Tensor fill_(float value) {
        checkInPlace("fill_");
        StridedCopy.fill(this, value);
        storage.bumpVersion();
        return this;
    }

    public Tensor zero_() {
        return fill_(0f);
    }

    /** this += other (broadcast to this shape). */
    public Tensor add_(Tensor other) {
        return add_(other, 1f);
    }

    /** this += alpha·other (broadcast to this shape), the optimizers' update. */
    public Tensor add_(Tensor other, float alpha) {
        if (Arrays.equals(other.shape, shape) && isContiguous() && other.isContiguous()) {
            checkInPlace("add_");
            Kernels.backend().axpy((int) numel(), alpha, other.segment(), segment());
            storage.bumpVersion();
            return this;
        }
        return inPlace("add_", other, (a, b) -> a.add(alpha == 1f ? b : b.mul(alpha)));
    }

    public Tensor sub_(Tensor other) {
        return inPlace("sub_", other, (a, b) -> a.sub(b));
    }

    public Tensor mul_(Tensor other) {
        return inPlace("mul_", other, (a, b) -> a.mul(b));
    }

    public Tensor mul_(float factor) {
        return inPlace("mul_", scalar(factor), (a, b) -> a.mul(factor));
    }

    public Tensor div_(Tensor other) {
        return inPlace("div_", other, (a, b) -> a.div(b));
    }

    private Tensor inPlace(String op, Tensor other, java.util.function.BinaryOperator<Tensor> compute) {
        checkInPlace(op);
        Tensor result;
        try (Autograd.Scope ignored = Autograd.noGrad()) {
            result = compute.apply(detach(), other.detach());
        }
        if (!Arrays.equals(result.shape, shape)) {
            throw new IllegalArgumentException(op + ": the result of shape " + Shapes.format(result.shape)
                    + " does not fit this tensor of shape " + Shapes.format(shape));
        }
        StridedCopy.copy(result, this);
        storage.bumpVersion();
        return this;
    }

    private void checkInPlace(String op) {
        if (Autograd.isGradEnabled() && requiresGrad()) {
            throw new IllegalStateException(op + " on a tensor that requires grad (shape " + Shapes.format(shape)
                    + ") would corrupt its gradient; use the out-of-place operation, or run it inside Autograd.noGrad()");
        }
    }

    // ---------------------------------------------------------------- arithmetic (broadcasting)

    public Tensor add(Tensor other) {
        return Elementwise.binary(org.isthmus.kernels.BinaryOp.ADD, this, other);
    }

    public Tensor sub(Tensor other) {
        return Elementwise.binary(org.isthmus.kernels.BinaryOp.SUB, this, other);
    }

    public Tensor mul(Tensor other) {
        return Elementwise.binary(org.isthmus.kernels.BinaryOp.MUL, this, other);
    }

    public Tensor div(Tensor other) {
        return Elementwise.binary(org.isthmus.kernels.BinaryOp.DIV, this, other);
    }

    public Tensor add(float value) {
        return add(scalar(value));
    }

    public Tensor sub(float value) {
        return sub(scalar(value));
    }

    public Tensor mul(float factor) {
        return Elementwise.unary(new UnaryOp.Scale(factor), "mul", this);
    }

    public Tensor div(float divisor) {
        return mul(1f / divisor);
    }

    public Tensor neg() {
        return mul(-1f);
    }

    /** this·this, elementwise. */
    public Tensor square() {
        return mul(this);
    }

    // ---------------------------------------------------------------- activations and functions

    public Tensor relu() {
        return Elementwise.unary(UnaryOp.RELU, "relu", this);
    }

    public Tensor leakyRelu(float slope) {
        return Elementwise.unary(new UnaryOp.LeakyRelu(slope), "leakyRelu", this);
    }

    /** GELU, tanh form (PyTorch's approximate="tanh"). */
    public Tensor gelu() {
        return Elementwise.unary(UnaryOp.GELU, "gelu", this);
    }

    public Tensor sigmoid() {
        return Elementwise.unary(UnaryOp.SIGMOID, "sigmoid", this);
    }

    public Tensor tanh() {
        return Elementwise.unary(UnaryOp.TANH, "tanh", this);
    }

    public Tensor exp() {
        return Elementwise.unary(UnaryOp.EXP, "exp", this);
    }

    public Tensor log() {
        return Elementwise.unary(UnaryOp.LOG, "log", this);
    }

    public Tensor sqrt() {
        return Elementwise.unary(UnaryOp.SQRT, "sqrt", this);
    }

    public Tensor abs() {
        return Elementwise.unary(UnaryOp.ABS, "abs", this);
    }

    public Tensor clamp(float min, float max) {
        return Elementwise.unary(new UnaryOp.Clamp(min, max), "clamp", this);
    }

    /** softmax over dim (numerically stable). */
    public Tensor softmax(int dim) {
        return Rowwise.softmax(this, dim);
    }

    public Tensor logSoftmax(int dim) {
        return Rowwise.logSoftmax(this, dim);
    }

    public Tensor logSumExp(int dim, boolean keepDim) {
        return Rowwise.logSumExp(this, dim, keepDim);
    }

    // ---------------------------------------------------------------- linear algebra

    /**
     * Matrix product with PyTorch's rules: 1-D·1-D is a dot product, 2-D·2-D a matrix product, and
     * higher ranks a batch of products with the batch dimensions broadcast. Transposed views are
     * handed to sgemm as transposes, not copied.
     */
    public Tensor matmul(Tensor other) {
        return MatrixProduct.matmul(this, other);
    }

    // ---------------------------------------------------------------- reductions

    /** The sum of all elements, a 0-dimensional tensor. */
    public Tensor sum() {
        return Reductions.sum(reshape(-1), 0, false);
    }

    public Tensor sum(int dim, boolean keepDim) {
        return Reductions.sum(this, dim, keepDim);
    }

    public Tensor mean() {
        return Reductions.mean(reshape(-1), 0, false);
    }

    public Tensor mean(int dim, boolean keepDim) {
        return Reductions.mean(this, dim, keepDim);
    }

    /** The largest element, a 0-dimensional tensor. */
    public Tensor max() {
        return Reductions.max(reshape(-1), 0, false);
    }

    public Tensor max(int dim, boolean keepDim) {
        return Reductions.max(this, dim, keepDim);
    }

    /** The index of the first largest element along dim (no gradient). */
    public Tensor argmax(int dim, boolean keepDim) {
        return Reductions.argmax(this, dim, keepDim);
    }

    /** The variance along dim; correction 1 is the unbiased estimate (PyTorch's default), 0 the biased. */
    public Tensor var(int dim, int correction, boolean keepDim) {
        return Reductions.variance(this, dim, correction, keepDim);
    }

    /** The unbiased variance of all elements. */
    public Tensor var() {
        return Reductions.variance(reshape(-1), 0, 1, false);
    }

    // ---------------------------------------------------------------- joining and indexing

    /** The tensors joined along an existing dimension. */
    public static Tensor cat(List<Tensor> tensors, int dim) {
        return Indexing.cat(tensors, dim);
    }

    /** The tensors (all one shape) stacked along a new dimension. */
    public static Tensor stack(List<Tensor> tensors, int dim) {
        return Indexing.stack(tensors, dim);
    }

    /** out[i][j] = this[index[i][j]][j] for dim 0, this[i][index[i][j]] for dim 1, and so on (PyTorch's gather). */
    public Tensor gather(int dim, Tensor index) {
        return Indexing.gather(this, dim, index);
    }

    /** Rows of 0 and 1: row i has its 1 at column indices[i] (indices: whole numbers in [0, classes)). */
    public static Tensor oneHot(Tensor indices, int classes) {
        return Indexing.oneHot(indices, classes);
    }
}
