package org.isthmus.optim;

import java.util.List;

/** Parameters that share a learning rate; schedulers change the rate through {@link #setLearningRate}. */
public final class ParamGroup {

    private final List<org.isthmus.tensor.Tensor> params;
    private double learningRate;

    public ParamGroup(List<org.isthmus.tensor.Tensor> params, double learningRate) {
        if (!(learningRate >= 0)) {
            throw new IllegalArgumentException("learning rate must be >= 0, got " + learningRate);
        }
        for (org.isthmus.tensor.Tensor p : params) {
            if (!p.isContiguous() || !p.isLeaf()) {
                throw new IllegalArgumentException("an optimizer updates contiguous leaf tensors in place; got one of shape "
                        + java.util.Arrays.toString(p.shape()) + (p.isLeaf() ? " that is not contiguous" : " that is not a leaf"));
            }
        }
        this.params = List.copyOf(params);
        this.learningRate = learningRate;
    }

    public List<org.isthmus.tensor.Tensor> params() {
        return params;
    }

    public double learningRate() {
        return learningRate;
    }

    public void setLearningRate(double learningRate) {
        if (!(learningRate >= 0)) {
            throw new IllegalArgumentException("learning rate must be >= 0, got " + learningRate);
        }
        this.learningRate = learningRate;
    }
}
