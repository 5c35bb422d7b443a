package org.isthmus.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.isthmus.tensor.Autograd;
import org.isthmus.tensor.Tensor;

/**
 * A layer or a model, as PyTorch's {@code nn.Module}: parameters, buffers (state that is saved but not
 * trained, such as batch norm's running statistics) and child modules are registered by name in the
 * constructor, so that {@link #parameters()}, {@link #stateDict()} and {@link #train()}/{@link #eval()}
 * reach all of them.
 */
public abstract class Module {

    private final Map<String, Tensor> parameters = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;

    /** The output for one input batch. */
    public abstract Tensor forward(Tensor input);

    /** Registers a trainable tensor; it is marked requiresGrad. */
    protected final Tensor registerParameter(String name, Tensor parameter) {
        checkName(name);
        parameter.requiresGrad(true);
        parameters.put(name, parameter);
        return parameter;
    }

    /** Registers saved, untrained state. */
    protected final Tensor registerBuffer(String name, Tensor buffer) {
        checkName(name);
        buffers.put(name, buffer);
        return buffer;
    }

    protected final <M extends Module> M registerModule(String name, M module) {
        checkName(name);
        children.put(name, module);
        return module;
    }

    /** Every parameter of this module and its children, in registration order. */
    public final List<Tensor> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    /** Parameters by dotted path ("0.weight", "fc1.bias"). */
    public final Map<String, Tensor> namedParameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collect(out, "", false);
        return out;
    }

    /** Parameters and buffers by dotted path: what a checkpoint holds. */
    public final Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collect(out, "", true);
        return out;
    }

    /**
     * Copies the state into this module's parameters and buffers. Strict: every key must be present,
     * none may be unknown, and every shape must match; otherwise nothing is changed and the exception
     * lists the missing keys, the unexpected keys and the shape mismatches.
     */
    public final void loadStateDict(Map<String, Tensor> state) {
        Map<String, Tensor> own = stateDict();
        List<String> missing = new ArrayList<>();
        List<String> mismatched = new ArrayList<>();
        for (Map.Entry<String, Tensor> entry : own.entrySet()) {
            Tensor given = state.get(entry.getKey());
            if (given == null) {
                missing.add(entry.getKey());
            } else if (!Arrays.equals(given.shape(), entry.getValue().shape())) {
                mismatched.add(entry.getKey() + ": checkpoint " + Arrays.toString(given.shape()) + ", model "
                        + Arrays.toString(entry.getValue().shape()));
            }
        }
        List<String> unexpected = state.keySet().stream().filter(k -> !own.containsKey(k)).toList();
        if (!missing.isEmpty() || !unexpected.isEmpty() || !mismatched.isEmpty()) {
            throw new IllegalArgumentException("loadStateDict: the state does not fit " + getClass().getSimpleName()
                    + (missing.isEmpty() ? "" : "; missing keys " + missing)
                    + (unexpected.isEmpty() ? "" : "; unexpected keys " + unexpected)
                    + (mismatched.isEmpty() ? "" : "; shape mismatches " + mismatched));
        }
        try (Autograd.Scope ignored = Autograd.noGrad()) {
            for (Map.Entry<String, Tensor> entry : own.entrySet()) {
                entry.getValue().copy_(state.get(entry.getKey()));
            }
        }
    }

    /** Training mode (dropout drops, batch norm uses batch statistics), for this module and its children. */
    public Module train() {
        setTraining(true);
        return this;
    }

    /** Evaluation mode. */
    public Module eval() {
        setTraining(false);
        return this;
    }

    public final boolean isTraining() {
        return training;
    }

    /** The child modules by name, in registration order. */
    public final Map<String, Module> children() {
        return Map.copyOf(children);
    }

    private void setTraining(boolean mode) {
        training = mode;
        for (Module child : children.values()) {
            child.setTraining(mode);
        }
    }

    private void collect(Map<String, Tensor> out, String prefix, boolean withBuffers) {
        parameters.forEach((name, t) -> out.put(prefix + name, t));
        if (withBuffers) {
            buffers.forEach((name, t) -> out.put(prefix + name, t));
        }
        children.forEach((name, child) -> child.collect(out, prefix + name + ".", withBuffers));
    }

    private void checkName(String name) {
        if (name == null || name.isEmpty() || name.contains(".")) {
            throw new IllegalArgumentException("a registered name must be non-empty and hold no '.', got '" + name + "'");
        }
        if (parameters.containsKey(name) || buffers.containsKey(name) || children.containsKey(name)) {
            throw new IllegalArgumentException("'" + name + "' is already registered in " + getClass().getSimpleName());
        }
    }
}
