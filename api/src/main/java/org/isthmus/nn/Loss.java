package org.isthmus.nn;

import java.util.Arrays;
import org.isthmus.tensor.Functional;
import org.isthmus.tensor.Tensor;

/**
 * A loss function of a prediction and a target, differentiable in the prediction. The factories follow
 * PyTorch's definitions; class targets are tensors of whole numbers.
 */
@FunctionalInterface
public interface Loss {

    Tensor apply(Tensor prediction, Tensor target);

    /** (prediction − target)². */
    static Loss mse(Reduction reduction) {
        return (p, t) -> reduction.apply(p.sub(sameShape(p, t, "mse")).square());
    }

    /** |prediction − target|. */
    static Loss l1(Reduction reduction) {
        return (p, t) -> reduction.apply(p.sub(sameShape(p, t, "l1")).abs());
    }

    /**
     * Cross-entropy from logits [N, C] and class targets [N], fused with softmax; labelSmoothing mixes the
     * one-hot target with the uniform distribution (0 for none).
     */
    static Loss crossEntropy(float labelSmoothing, Reduction reduction) {
        return (p, t) -> reduction.apply(Functional.crossEntropy(p, t, labelSmoothing));
    }

    /** Negative log-likelihood of log-probabilities [N, C] at class targets [N]. */
    static Loss nll(Reduction reduction) {
        return (p, t) -> {
            if (p.dim() != 2 || t.dim() != 1 || t.size(0) != p.size(0)) {
                throw new IllegalArgumentException("nll needs log-probabilities [N, C] and targets [N], got "
                        + Arrays.toString(p.shape()) + " and " + Arrays.toString(t.shape()));
            }
            return reduction.apply(p.gather(1, t.unsqueeze(1)).squeeze(1).neg());
        };
    }

    /** Binary cross-entropy of probabilities, −(t·log p + (1 − t)·log(1 − p)), each log clamped at −100 as in PyTorch. */
    static Loss bce(Reduction reduction) {
        return (p, t) -> {
            Tensor target = sameShape(p, t, "bce");
            Tensor logP = p.log().clamp(-100f, Float.MAX_VALUE);
            Tensor log1mP = p.neg().add(1f).log().clamp(-100f, Float.MAX_VALUE);
            return reduction.apply(target.mul(logP).add(target.neg().add(1f).mul(log1mP)).neg());
        };
    }

    /** Binary cross-entropy of logits, in the stable form max(x, 0) − x·t + log(1 + e^−|x|). */
    static Loss bceWithLogits(Reduction reduction) {
        return (x, t) -> {
            Tensor target = sameShape(x, t, "bceWithLogits");
            return reduction.apply(x.relu().sub(x.mul(target)).add(x.abs().neg().exp().add(1f).log()));
        };
    }

    /** Hinge loss for targets ±1: max(0, 1 − t·x). */
    static Loss hinge(Reduction reduction) {
        return (x, t) -> reduction.apply(sameShape(x, t, "hinge").mul(x).neg().add(1f).relu());
    }

    /**
     * Kullback–Leibler divergence of a target distribution from log-probabilities, t·(log t − input),
     * with 0·log 0 = 0. PyTorch's "batchmean" is {@link Reduction#SUM} divided by the batch size.
     */
    static Loss klDivergence(Reduction reduction) {
        return (logQ, t) -> {
            Tensor target = sameShape(logQ, t, "klDivergence");
            Tensor tLogT = target.mul(target.clamp(Float.MIN_NORMAL, Float.MAX_VALUE).log());
            return reduction.apply(tLogT.sub(target.mul(logQ)));
        };
    }

    private static Tensor sameShape(Tensor prediction, Tensor target, String loss) {
        if (!Arrays.equals(prediction.shape(), target.shape())) {
            throw new IllegalArgumentException(loss + ": prediction " + Arrays.toString(prediction.shape())
                    + " and target " + Arrays.toString(target.shape()) + " differ in shape");
        }
        return target;
    }
}
