package org.isthmus.tensor;

import static org.isthmus.tensor.GradCheck.check;
import static org.isthmus.tensor.GradCheck.randn;
import static org.isthmus.tensor.GradCheck.uniform;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Every differentiable operation's gradient against central finite differences, on small random shapes
 * with broadcasting and non-contiguous views. Seeds are fixed per case; the tolerance is GradCheck's.
 */
class OpGradientTest {

    @Test
    void broadcastingArithmetic() {
        check("add row", in -> in[0].add(in[1]), randn(1, 3, 5), randn(2, 5));
        check("sub column", in -> in[0].sub(in[1]), randn(3, 3, 5), randn(4, 3, 1));
        check("sub with a broadcast left side", in -> in[0].sub(in[1]), randn(5, 1, 5), randn(6, 4, 5));
        check("mul general broadcast", in -> in[0].mul(in[1]), randn(7, 2, 1, 4), randn(8, 1, 3, 1));
        check("mul scalar tensor", in -> in[0].mul(in[1]), randn(9, 3, 4), randn(10));
        check("div", in -> in[0].div(in[1]), randn(11, 3, 4), uniform(12, 0.5f, 2f, 4));
        check("mul by a float, neg", in -> in[0].mul(2.5f).neg().add(1f), randn(13, 7));
        check("same tensor twice", in -> in[0].mul(in[0]), randn(14, 6));
    }

    @Test
    void elementwiseFunctions() {
        check("relu", in -> in[0].relu(), awayFromZero(20, 17));
        check("leakyRelu", in -> in[0].leakyRelu(0.1f), awayFromZero(21, 17));
        check("gelu", in -> in[0].gelu(), randn(22, 17));
        check("sigmoid", in -> in[0].sigmoid(), randn(23, 17));
        check("tanh", in -> in[0].tanh(), randn(24, 17));
        check("exp", in -> in[0].exp(), randn(25, 17));
        check("log", in -> in[0].log(), uniform(26, 0.5f, 3f, 17));
        check("sqrt", in -> in[0].sqrt(), uniform(27, 0.5f, 3f, 17));
        check("abs", in -> in[0].abs(), awayFromZero(28, 17));
        check("clamp", in -> in[0].clamp(-0.5f, 0.5f), awayFrom(29, new float[] {-0.5f, 0.5f}, 17));
    }

    @Test
    void matrixProducts() {
        check("matmul", in -> in[0].matmul(in[1]), randn(30, 3, 4), randn(31, 4, 5));
        check("matmul of transposed views", in -> in[0].t().matmul(in[1].t()), randn(32, 4, 3), randn(33, 5, 4));
        check("batched matmul with a broadcast batch", in -> in[0].matmul(in[1]), randn(34, 2, 1, 3, 4), randn(35, 3, 4, 2));
        check("batch times matrix", in -> in[0].matmul(in[1]), randn(36, 2, 3, 4), randn(37, 4, 2));
        check("matrix times vector", in -> in[0].matmul(in[1]), randn(38, 3, 4), randn(39, 4));
    }

    @Test
    void reductions() {
        check("sum all", in -> in[0].sum(), randn(40, 3, 4));
        check("sum dim 0", in -> in[0].sum(0, false), randn(41, 3, 4, 2));
        check("sum dim 1 keepdim", in -> in[0].sum(1, true), randn(42, 3, 4, 2));
        check("mean dim -1", in -> in[0].mean(-1, false), randn(43, 3, 5));
        check("max dim 1", in -> in[0].max(1, false), distinct(44, 3, 5));
        check("var dim 0 unbiased", in -> in[0].var(0, 1, false), randn(45, 4, 3));
        check("var dim 1 biased", in -> in[0].var(1, 0, true), randn(46, 4, 3));
    }

    @Test
    void rowwise() {
        check("softmax last", in -> in[0].softmax(-1), randn(50, 3, 7));
        check("softmax dim 0", in -> in[0].softmax(0), randn(51, 3, 7));
        check("logSoftmax", in -> in[0].logSoftmax(1), randn(52, 4, 6));
        check("logSumExp", in -> in[0].logSumExp(-1, false), randn(53, 4, 6));
        check("logSumExp dim 0 keepdim", in -> in[0].logSumExp(0, true), randn(54, 4, 6));
        check("crossEntropy", in -> Functional.crossEntropy(in[0], Tensor.fromArray(new float[] {2, 0, 4}, 3), 0f),
                randn(55, 3, 5));
        check("crossEntropy with label smoothing", in -> Functional.crossEntropy(in[0],
                Tensor.fromArray(new float[] {1, 3}, 2), 0.1f), randn(56, 2, 4));
    }

    @Test
    void viewsAndJoins() {
        check("permute, reshape, narrow", in -> in[0].permute(2, 0, 1).reshape(4, 6).narrow(1, 1, 3).mul(in[0].sum()),
                randn(60, 2, 3, 4));
        check("expand", in -> in[0].expand(3, 4, 5), randn(61, 4, 1));
        check("select and unsqueeze", in -> in[0].select(1, 2).unsqueeze(0), randn(62, 3, 4));
        check("cat", in -> Tensor.cat(List.of(in[0], in[1]), 1), randn(63, 2, 3), randn(64, 2, 2));
        check("stack", in -> Tensor.stack(List.of(in[0], in[1]), 0), randn(65, 2, 3), randn(66, 2, 3));
        check("gather", in -> in[0].gather(1, Tensor.fromArray(new float[] {0, 2, 2, 1, 0, 0}, 3, 2)), randn(67, 3, 4));
        check("clone of a transposed view", in -> in[0].t().contiguous(), randn(68, 3, 4));
    }

    @Test
    void networkOperations() {
        check("linear", in -> Functional.linear(in[0], in[1], in[2]), randn(70, 4, 5), randn(71, 3, 5), randn(72, 3));
        check("linear on a batch of sequences, no bias", in -> Functional.linear(in[0], in[1], null),
                randn(69, 2, 3, 5), randn(71, 4, 5));
        check("conv2d", in -> Functional.conv2d(in[0], in[1], in[2], 1, 1, 1), randn(73, 2, 2, 5, 5), randn(74, 3, 2, 3, 3),
                randn(75, 3));
        check("conv2d stride 2 dilation 2", in -> Functional.conv2d(in[0], in[1], null, 2, 0, 2),
                randn(76, 1, 2, 7, 6), randn(77, 2, 2, 2, 2));
        check("conv2d depthwise, 2 filters per channel", in -> Functional.conv2d(in[0], in[1], in[2], 1, 1, 1, 2),
                randn(94, 2, 2, 5, 6), randn(95, 4, 1, 3, 3), randn(96, 4));
        check("conv2d in 2 groups, stride 2", in -> Functional.conv2d(in[0], in[1], null, 2, 1, 1, 2),
                randn(97, 1, 4, 7, 7), randn(98, 6, 2, 3, 3));
        check("maxPool2d", in -> Functional.maxPool2d(in[0], 2, 2, 0), distinct(78, 2, 2, 4, 5));
        check("avgPool2d", in -> Functional.avgPool2d(in[0], 3, 2, 1), randn(79, 2, 2, 5, 5));
        check("layerNorm", in -> Functional.layerNorm(in[0], new int[] {6}, in[1], in[2], 1e-5f),
                randn(80, 4, 6), randn(81, 6), randn(82, 6));
        check("batchNorm training", in -> Functional.batchNorm(in[0], null, null, in[1], in[2], true, 0.1f, 1e-5f),
                randn(83, 4, 3, 2, 2), randn(84, 3), randn(85, 3));
        Tensor runningMean = randn(86, 3);
        Tensor runningVar = uniform(87, 0.5f, 2f, 3);
        check("batchNorm evaluation", in -> Functional.batchNorm(in[0], runningMean, runningVar, in[1], in[2], false, 0.1f,
                1e-5f), randn(88, 4, 3), randn(89, 3), randn(90, 3));
        check("dropout", in -> Functional.dropout(in[0], 0.5f, true, new SplittableRandom(91)), randn(92, 40));
        check("embedding", in -> Functional.embedding(Tensor.fromArray(new float[] {1, 3, 1}, 3), in[0]), randn(93, 4, 2));
    }

    /** Normal samples pushed at least 0.1 away from 0, where relu and abs have their kink. */
    private static Tensor awayFromZero(long seed, int n) {
        return awayFrom(seed, new float[] {0}, n);
    }

    private static Tensor awayFrom(long seed, float[] kinks, int n) {
        float[] values = randn(seed, n).toArray();
        for (int i = 0; i < n; i++) {
            for (float kink : kinks) {
                if (Math.abs(values[i] - kink) < 0.1f) {
                    values[i] = kink + (values[i] >= kink ? 0.1f : -0.1f);
                }
            }
        }
        return Tensor.fromArray(values, n);
    }

    /** A random permutation of well-separated values, so max and max pooling have no near-ties. */
    private static Tensor distinct(long seed, int... shape) {
        int n = (int) Shapes.numel(shape);
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = i * 0.5f - n / 4f;
        }
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            float t = values[i];
            values[i] = values[j];
            values[j] = t;
        }
        return Tensor.fromArray(values, shape);
    }
}
