package org.isthmus.optim;

import java.util.List;
import org.isthmus.tensor.Tensor;

/**
 * RMSProp as PyTorch defines it: sq = α·sq + (1 − α)·g², avg = √sq + eps (√(sq − mean²) + eps when
 * centered), then p −= lr·g/avg, or through a momentum buffer buf = μ·buf + g/avg.
 */
public final class RmsProp extends Optimizer {

    private final float alpha;
    private final float eps;
    private final float weightDecay;
    private final float momentum;
    private final boolean centered;

    public RmsProp(List<Tensor> params, double learningRate) {
        this(single(params, learningRate), 0.99f, 1e-8f, 0, 0, false);
    }

    public RmsProp(List<ParamGroup> groups, float alpha, float eps, float weightDecay, float momentum, boolean centered) {
        super(groups, 3);
        this.alpha = alpha;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.momentum = momentum;
        this.centered = centered;
    }

    @Override
    protected void update(float[] p, int pFrom, float[] g, int gFrom, int n, float[][] buffers,
                          double learningRate, long step) {
        float[] sq = buffers[0];
        float[] mean = buffers[1];
        float[] buf = buffers[2];
        float lr = (float) learningRate;
        for (int i = 0; i < n; i++) {
            float d = g[gFrom + i] + weightDecay * p[pFrom + i];
            sq[i] = alpha * sq[i] + (1 - alpha) * d * d;
            float variance = sq[i];
            if (centered) {
                mean[i] = alpha * mean[i] + (1 - alpha) * d;
                variance -= mean[i] * mean[i];
            }
            float avg = (float) Math.sqrt(variance) + eps;
            if (momentum > 0) {
                buf[i] = momentum * buf[i] + d / avg;
                p[pFrom + i] -= lr * buf[i];
            } else {
                p[pFrom + i] -= lr * d / avg;
            }
        }
    }
}
