package org.isthmus.optim;

import java.util.List;
import org.isthmus.tensor.Tensor;

/** Adagrad: sum += g², p −= lr·g/(√sum + eps), with lr/(1 + (t − 1)·lrDecay), as PyTorch defines it. */
public final class Adagrad extends Optimizer {

    private final float lrDecay;
    private final float weightDecay;
    private final float eps;

    public Adagrad(List<Tensor> params, double learningRate) {
        this(single(params, learningRate), 0, 0, 1e-10f);
    }

    public Adagrad(List<ParamGroup> groups, float lrDecay, float weightDecay, float eps) {
        super(groups, 1);
        this.lrDecay = lrDecay;
        this.weightDecay = weightDecay;
        this.eps = eps;
    }

    @Override
    protected void update(float[] p, int pFrom, float[] g, int gFrom, int n, float[][] buffers,
                          double learningRate, long step) {
        float[] sum = buffers[0];
        float lr = (float) (learningRate / (1 + (step - 1) * lrDecay));
        for (int i = 0; i < n; i++) {
            float d = g[gFrom + i] + weightDecay * p[pFrom + i];
            sum[i] += d * d;
            p[pFrom + i] -= lr * d / ((float) Math.sqrt(sum[i]) + eps);
        }
    }
}
