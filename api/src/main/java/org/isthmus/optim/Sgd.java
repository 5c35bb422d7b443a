package org.isthmus.optim;

import java.util.List;
import org.isthmus.tensor.Tensor;

/**
 * Stochastic gradient descent with optional momentum (PyTorch's form: the buffer starts as the first
 * gradient, then buf = μ·buf + (1 − dampening)·g), Nesterov momentum and L2 weight decay.
 */
public final class Sgd extends Optimizer {

    private final float momentum;
    private final float dampening;
    private final boolean nesterov;
    private final float weightDecay;

    public Sgd(List<Tensor> params, double learningRate) {
        this(single(params, learningRate), 0, 0, false, 0);
    }

    public Sgd(List<ParamGroup> groups, float momentum, float dampening, boolean nesterov, float weightDecay) {
        super(groups, 1);
        if (momentum < 0 || weightDecay < 0 || nesterov && (momentum <= 0 || dampening != 0)) {
            throw new IllegalArgumentException("Sgd: momentum and weightDecay must be >= 0, and Nesterov needs momentum > 0 "
                    + "and no dampening; got momentum=" + momentum + ", dampening=" + dampening + ", nesterov=" + nesterov
                    + ", weightDecay=" + weightDecay);
        }
        this.momentum = momentum;
        this.dampening = dampening;
        this.nesterov = nesterov;
        this.weightDecay = weightDecay;
    }

    @Override
    protected void update(float[] p, int pFrom, float[] g, int gFrom, int n, float[][] buffers,
                          double learningRate, long step) {
        float[] buf = buffers[0];
        float lr = (float) learningRate;
        for (int i = 0; i < n; i++) {
            float d = g[gFrom + i] + weightDecay * p[pFrom + i];
            if (momentum != 0) {
                buf[i] = step == 1 ? d : momentum * buf[i] + (1 - dampening) * d;
                d = nesterov ? d + momentum * buf[i] : buf[i];
            }
            p[pFrom + i] -= lr * d;
        }
    }
}
