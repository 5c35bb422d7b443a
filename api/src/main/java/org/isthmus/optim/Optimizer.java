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
                float[][] buffers = state.computeIfAbsent(p, k -> newBuffers((int) k.numel()));
                float[] gradient = grad.toArray();
                float[] values = p.toArray();
                update(values, gradient, buffers, group.learningRate(), steps);
                MemorySegment.copy(values, 0, p.storage().segment(), FLOAT, p.offset() * Float.BYTES, values.length);
            }
        }
    }

    /**
     * Updates values in place from gradient (which it may overwrite), with this parameter's state buffers
     * (each as long as values, zero at first) and the 1-based step count.
     */
    protected abstract void update(float[] values, float[] gradient, float[][] buffers, double learningRate, long step);

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
