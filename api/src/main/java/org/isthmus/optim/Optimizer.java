package org.isthmus.optim;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.isthmus.tensor.Tensor;

/**
 * Updates parameters from their gradients, as PyTorch's optimizers do (same formulas, same epsilon
 * placement). Parameters without a gradient are skipped. Per-parameter state (momentum, moment
 * estimates) is kept in float arrays and exposed by {@link #stateDict()}.
 */
public abstract class Optimizer {

    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;

    private final List<ParamGroup> groups;
    private final Map<Tensor, float[][]> state = new IdentityHashMap<>();
    private final int buffersPerParameter;
    private long steps;

    protected Optimizer(List<ParamGroup> groups, int buffersPerParameter) {
        if (groups.isEmpty() || groups.stream().allMatch(g -> g.params().isEmpty())) {
            throw new IllegalArgumentException(getClass().getSimpleName() + " got no parameters to optimize");
        }
        this.groups = List.copyOf(groups);
        this.buffersPerParameter = buffersPerParameter;
    }

    public final List<ParamGroup> paramGroups() {
        return groups;
    }

    /** How many times {@link #step()} has run. */
    public final long steps() {
        return steps;
    }

    /** Clears every parameter's gradient. */
    public final void zeroGrad() {
        for (ParamGroup group : groups) {
            for (Tensor p : group.params()) {
                p.setGrad(null);
            }
        }
    }

    /** One update of every parameter that has a gradient. */
    public final void step() {
        steps++;
        for (ParamGroup group : groups) {
            for (Tensor p : group.params()) {
                Tensor grad = p.grad();
                if (grad == null) {
                    continue;
                }
                int n = Math.toIntExact(p.numel());
                float[][] buffers = state.computeIfAbsent(p, k -> newBuffers(n));
                float[] gradientArray = heapArray(grad);
                float[] gradient = gradientArray != null ? gradientArray : grad.toArray();
                int gradientFrom = gradientArray != null ? heapIndex(grad) : 0;
                float[] valueArray = heapArray(p);
                if (valueArray != null) {
                    update(valueArray, heapIndex(p), gradient, gradientFrom, n, buffers, group.learningRate(), steps);
                } else {
                    float[] values = p.toArray();
                    update(values, 0, gradient, gradientFrom, n, buffers, group.learningRate(), steps);
                    MemorySegment.copy(values, 0, p.storage().segment(), FLOAT, p.offset() * Float.BYTES, n);
                }
            }
        }
    }

    /**
     * Updates the {@code n} values {@code p[pFrom..pFrom+n)} in place from the gradient
     * {@code g[gFrom..gFrom+n)}, which it must not change (it may be the parameter's own gradient),
     * with this parameter's state buffers (n floats each, zero at first) and the 1-based step count.
     */
    protected abstract void update(float[] p, int pFrom, float[] g, int gFrom, int n, float[][] buffers,
                                   double learningRate, long step);

    /**
     * The float[] behind a contiguous tensor on a writable heap storage, so that an update runs in
     * place instead of on copies (two 0.9 MB copies a step for the MLP); null otherwise.
     */
    private static float[] heapArray(Tensor t) {
        if (!t.isContiguous()) {
            return null;
        }
        return t.storage().segment().heapBase().orElse(null) instanceof float[] array ? array : null;
    }

    /** Where a tensor found by {@link #heapArray} starts in that array. */
    private static int heapIndex(Tensor t) {
        return Math.toIntExact(t.storage().segment().address() / Float.BYTES + t.offset());
    }

    /** The step count and every state buffer, as "group.param.buffer" → values. */
    public final Map<String, float[]> stateDict() {
        Map<String, float[]> out = new LinkedHashMap<>();
        out.put("steps", new float[] {steps});
        for (int g = 0; g < groups.size(); g++) {
            List<Tensor> params = groups.get(g).params();
            for (int i = 0; i < params.size(); i++) {
                float[][] buffers = state.get(params.get(i));
                for (int b = 0; buffers != null && b < buffers.length; b++) {
                    out.put(g + "." + i + "." + b, buffers[b].clone());
                }
            }
        }
        return out;
    }

    private float[][] newBuffers(int size) {
        float[][] buffers = new float[buffersPerParameter][];
        for (int b = 0; b < buffersPerParameter; b++) {
            buffers[b] = new float[size];
        }
        return buffers;
    }

    /** A single group of parameters at one learning rate. */
    static List<ParamGroup> single(List<Tensor> params, double learningRate) {
        return List.of(new ParamGroup(params, learningRate));
    }
}
