package org.isthmus.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Function;
import org.isthmus.tensor.Storage;
import org.isthmus.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Each optimizer's first steps against values worked out by hand from PyTorch's update formulas. */
class OptimizerTest {

    private static final float EXACT = 1e-6f;

    /** Runs steps of the optimizer on p = [1] with the gradient 0.5 each time; returns p after each step. */
    private static float[] run(Function<List<Tensor>, Optimizer> make, int steps) {
        Tensor p = Tensor.fromArray(new float[] {1}, 1).requiresGrad(true);
        Optimizer optimizer = make.apply(List.of(p));
        float[] trace = new float[steps];
        for (int s = 0; s < steps; s++) {
            optimizer.zeroGrad();
            p.setGrad(Tensor.fromArray(new float[] {0.5f}, 1));
            optimizer.step();
            trace[s] = p.item();
        }
        return trace;
    }

    private static List<ParamGroup> group(List<Tensor> params) {
        return List.of(new ParamGroup(params, 0.1));
    }

    @Test
    void sgd() {
        assertArrayEquals(new float[] {0.95f, 0.9f}, run(p -> new Sgd(p, 0.1), 2), EXACT);
        // momentum 0.9: buf = g = 0.5, then 0.9·0.5 + 0.5 = 0.95
        assertArrayEquals(new float[] {0.95f, 0.855f}, run(p -> new Sgd(group(p), 0.9f, 0, false, 0), 2), EXACT);
        // Nesterov: d = g + 0.9·buf = 0.95 on the first step
        assertArrayEquals(new float[] {0.905f}, run(p -> new Sgd(group(p), 0.9f, 0, true, 0), 1), EXACT);
        // weight decay 0.1: d = 0.5 + 0.1·1
        assertArrayEquals(new float[] {0.94f}, run(p -> new Sgd(group(p), 0, 0, false, 0.1f), 1), EXACT);
        assertThrows(IllegalArgumentException.class, () -> run(p -> new Sgd(group(p), 0, 0, true, 0), 1));
    }

    @Test
    void adamAndAdamW() {
        // m/(1 − β₁ᵗ) = 0.5 and √(v/(1 − β₂ᵗ)) = 0.5 for a constant gradient: each step moves lr·1.
        assertArrayEquals(new float[] {0.9f, 0.8f}, run(p -> new Adam(p, 0.1), 2), 1e-6f);
        // AdamW: p·(1 − 0.1·0.1) first, then the same step.
        assertArrayEquals(new float[] {0.89f}, run(p -> Adam.adamW(group(p), 0.9f, 0.999f, 1e-8f, 0.1f), 1), 1e-6f);
        // Adam with L2 decay 0.1: d = 0.6, still a step of lr on the first step.
        assertArrayEquals(new float[] {0.9f}, run(p -> Adam.adam(group(p), 0.9f, 0.999f, 1e-8f, 0.1f), 1), 1e-6f);
    }

    @Test
    void adagradRmsPropAndExponentiatedGradient() {
        // sum = 0.25 then 0.5: steps 0.1·0.5/0.5 and 0.1·0.5/√0.5
        assertArrayEquals(new float[] {0.9f, 0.9f - 0.0707107f}, run(p -> new Adagrad(p, 0.1), 2), 1e-6f);
        // sq = 0.01·0.25 = 0.0025, √sq = 0.05: the step is 0.1·0.5/0.05 = 1
        assertArrayEquals(new float[] {0f}, run(p -> new RmsProp(p, 0.1), 1), 1e-6f);
        // 1·exp(−0.1·0.5), twice
        float once = (float) Math.exp(-0.05);
        assertArrayEquals(new float[] {once, once * once}, run(p -> new ExponentiatedGradient(p, 0.1), 2), 1e-6f);
        Tensor negative = Tensor.fromArray(new float[] {-1}, 1);
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> new ExponentiatedGradient(List.of(negative), 0.1));
        assertTrue(error.getMessage().contains("non-negative"), error.getMessage());
    }

    /**
     * Updates run in place on the parameter's own storage: only the parameter's elements change (here a
     * slice of a larger storage, and a native one), and the gradient is left as it was.
     */
    @Test
    void updatesChangeOnlyTheParameterAndNotItsGradient() {
        Tensor whole = Tensor.fromArray(new float[] {1, 2, 3, 4, 5}, 5);
        Tensor slice = whole.narrow(0, 1, 3).detach().requiresGrad(true);
        Tensor native_ = Tensor.of(Storage.allocateNative(java.lang.foreign.Arena.ofAuto(), 3), 3).requiresGrad(true);
        Tensor gradientWhole = Tensor.fromArray(new float[] {9, 1, 1, 1, 9}, 5);
        slice.setGrad(gradientWhole.narrow(0, 1, 3));
        native_.setGrad(Tensor.fromArray(new float[] {1, 2, 3}, 3));
        new Sgd(List.of(slice, native_), 0.5).step();
        assertArrayEquals(new float[] {1, 1.5f, 2.5f, 3.5f, 5}, whole.toArray(), EXACT);
        assertArrayEquals(new float[] {-0.5f, -1, -1.5f}, native_.toArray(), EXACT);
        assertArrayEquals(new float[] {9, 1, 1, 1, 9}, gradientWhole.toArray(), EXACT);
        assertArrayEquals(new float[] {1, 2, 3}, native_.grad().toArray(), EXACT);
    }

    @Test
    void parameterGroupsKeepTheirOwnRates() {
        Tensor a = Tensor.fromArray(new float[] {1}, 1).requiresGrad(true);
        Tensor b = Tensor.fromArray(new float[] {1}, 1).requiresGrad(true);
        Sgd sgd = new Sgd(List.of(new ParamGroup(List.of(a), 0.1), new ParamGroup(List.of(b), 1.0)), 0, 0, false, 0);
        a.setGrad(Tensor.fromArray(new float[] {1}, 1));
        b.setGrad(Tensor.fromArray(new float[] {1}, 1));
        sgd.step();
        assertEquals(0.9f, a.item(), EXACT);
        assertEquals(0f, b.item(), EXACT);
        assertEquals(1f, sgd.stateDict().get("steps")[0]);
    }

    @Test
    void schedules() {
        Tensor p = Tensor.fromArray(new float[] {1}, 1).requiresGrad(true);
        Sgd sgd = new Sgd(List.of(p), 0.1);
        LrScheduler step = LrScheduler.step(sgd, 2, 0.5);
        step.step();
        assertEquals(0.1, sgd.paramGroups().get(0).learningRate(), 1e-12);
        step.step();
        assertEquals(0.05, sgd.paramGroups().get(0).learningRate(), 1e-12);

        Sgd other = new Sgd(List.of(p), 0.1);
        LrScheduler cosine = LrScheduler.cosine(other, 4, 0);
        cosine.step();
        cosine.step();
        assertEquals(0.05, other.paramGroups().get(0).learningRate(), 1e-12);

        Sgd warm = new Sgd(List.of(p), 0.1);
        LrScheduler warmup = LrScheduler.linearWarmup(warm, 4);
        assertEquals(0.025, warm.paramGroups().get(0).learningRate(), 1e-12);
        warmup.step();
        assertEquals(0.05, warm.paramGroups().get(0).learningRate(), 1e-12);
    }

    @Test
    void clippingByNorm() {
        Tensor p = Tensor.zeros(2).requiresGrad(true);
        p.setGrad(Tensor.fromArray(new float[] {3, 4}, 2));
        assertEquals(5.0, GradientClipping.clipByNorm(List.of(p), 1.0), 1e-9);
        assertArrayEquals(new float[] {0.6f, 0.8f}, p.grad().toArray(), 1e-6f);
        assertEquals(1.0, GradientClipping.clipByNorm(List.of(p), 2.0), 1e-6, "under the limit: unchanged");
        assertArrayEquals(new float[] {0.6f, 0.8f}, p.grad().toArray(), 1e-6f);
    }
}
