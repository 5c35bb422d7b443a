package org.isthmus.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The autograd engine: worked examples, accumulation, scopes, saved-tensor versions, custom functions, anomalies. */
class AutogradTest {

    @Test
    void denseLayerWorkedExample() {
        Tensor w = Tensor.fromArray(new float[] {1, -2, -1, 1}, 2, 2).requiresGrad(true);
        Tensor x = Tensor.fromArray(new float[] {1, -1}, 2);
        Tensor b = Tensor.fromArray(new float[] {1, 0}, 2).requiresGrad(true);
        Tensor z = w.matmul(x).add(b);
        assertArrayEquals(new float[] {4, -2}, z.toArray());
        Tensor out = z.sigmoid();
        assertArrayEquals(new float[] {0.982f, 0.119f}, out.toArray(), 5e-4f);
        out.sum().backward();
        // d sigmoid = s(1 − s); dW = that ⊗ x, db = that.
        float s0 = (float) (1 / (1 + Math.exp(-4)));
        float s1 = (float) (1 / (1 + Math.exp(2)));
        float d0 = s0 * (1 - s0);
        float d1 = s1 * (1 - s1);
        assertArrayEquals(new float[] {d0, -d0, d1, -d1}, w.grad().toArray(), 1e-6f);
        assertArrayEquals(new float[] {d0, d1}, b.grad().toArray(), 1e-6f);
    }

    @Test
    void chainRuleThroughTwoLayersMatchesTheHandDerivedGradient() {
        // h = relu(W1·x), y = w2·h, loss = (y − t)²
        Tensor w1 = Tensor.fromArray(new float[] {0.5f, -1, 2, 1}, 2, 2).requiresGrad(true);
        Tensor w2 = Tensor.fromArray(new float[] {1.5f, -0.5f}, 1, 2).requiresGrad(true);
        Tensor x = Tensor.fromArray(new float[] {2, 1}, 2);
        float t = 1;
        Tensor h = w1.matmul(x).relu();                 // W1·x = [0, 5] -> relu [0, 5]
        Tensor y = w2.matmul(h);                        // 1.5·0 − 0.5·5 = −2.5
        Tensor loss = y.sub(t).square().sum();          // (−3.5)² = 12.25
        assertEquals(12.25f, loss.item(), 1e-5f);
        loss.backward();
        float dy = 2 * (-2.5f - t);                     // −7
        assertArrayEquals(new float[] {dy * 0, dy * 5}, w2.grad().toArray(), 1e-5f);
        // dh = dy·w2 = [−10.5, 3.5]; relu passes only the second (W1·x = 0 at the first: derivative 0).
        assertArrayEquals(new float[] {0, 0, 3.5f * 2, 3.5f * 1}, w1.grad().toArray(), 1e-5f);
    }

    @Test
    void gradientsAccumulateAcrossBackwardCallsUntilCleared() {
        Tensor p = Tensor.fromArray(new float[] {1, 2, 3}, 3).requiresGrad(true);
        p.mul(2f).sum().backward();
        p.mul(2f).sum().backward();
        assertArrayEquals(new float[] {4, 4, 4}, p.grad().toArray());
        p.setGrad(null);
        p.square().sum().backward();
        assertArrayEquals(new float[] {2, 4, 6}, p.grad().toArray());
    }

    @Test
    void gradientsFlowThroughViews() {
        Tensor p = Tensor.arange(0, 6, 1).reshape(2, 3).detach().requiresGrad(true);
        Tensor viewed = p.t().reshape(6).narrow(0, 1, 4).view(2, 2).permute(1, 0);
        viewed.mul(Tensor.fromArray(new float[] {1, 2, 3, 4}, 2, 2)).sum().backward();
        // p.t() flattened is [p00, p10, p01, p11, p02, p12]; elements 1..4 are p10, p01, p11, p02, viewed as
        // [[p10, p01], [p11, p02]] then transposed: [[p10, p11], [p01, p02]] weighted 1, 2, 3, 4.
        assertArrayEquals(new float[] {0, 3, 4, 1, 2, 0}, p.grad().toArray());
    }

    @Test
    void detachAndNoGradRecordNothing() {
        Tensor p = Tensor.ones(2).requiresGrad(true);
        assertFalse(p.mul(3f).detach().requiresGrad());
        try (Autograd.Scope ignored = Autograd.noGrad()) {
            assertFalse(Autograd.isGradEnabled());
            Tensor y = p.mul(3f);
            assertFalse(y.requiresGrad());
            assertNull(y.gradFnName());
            try (Autograd.Scope inner = Autograd.enableGrad()) {
                assertTrue(p.mul(3f).requiresGrad());
            }
            assertFalse(Autograd.isGradEnabled(), "the inner scope restores the outer mode");
        }
        assertTrue(Autograd.isGradEnabled());
        assertEquals("mul", p.mul(3f).gradFnName());
    }

    @Test
    void theGraphIsFreedAfterBackwardUnlessRetained() {
        Tensor p = Tensor.ones(2).requiresGrad(true);
        Tensor loss = p.exp().sum();
        loss.backward(Tensor.scalar(1), true);
        loss.backward(Tensor.scalar(1), false);
        assertArrayEquals(new float[] {2 * (float) Math.E, 2 * (float) Math.E}, p.grad().toArray(), 1e-5f);
        IllegalStateException error = assertThrows(IllegalStateException.class, loss::backward);
        assertTrue(error.getMessage().contains("retainGraph"), error.getMessage());
    }

    @Test
    void aSavedTensorChangedInPlaceIsRefused() {
        Tensor w = Tensor.ones(3).requiresGrad(true);
        Tensor x = Tensor.fromArray(new float[] {1, 2, 3}, 3);
        Tensor loss = w.mul(x).sum();
        x.add_(Tensor.ones(3));
        IllegalStateException error = assertThrows(IllegalStateException.class, loss::backward);
        assertTrue(error.getMessage().contains("modified in place") && error.getMessage().contains("mul"), error.getMessage());
    }

    @Test
    void inPlaceOnATensorThatRequiresGradIsRefused() {
        Tensor w = Tensor.ones(3).requiresGrad(true);
        IllegalStateException error = assertThrows(IllegalStateException.class, () -> w.mul_(2f));
        assertTrue(error.getMessage().contains("noGrad"), error.getMessage());
        try (Autograd.Scope ignored = Autograd.noGrad()) {
            w.mul_(2f).add_(Tensor.ones(3), 0.5f);
        }
        assertArrayEquals(new float[] {2.5f, 2.5f, 2.5f}, w.toArray());
    }

    @Test
    void customFunctionsJoinTheGraph() {
        AutogradFunction cube = new AutogradFunction() {
            @Override
            protected Tensor forward(FunctionContext ctx, Tensor... inputs) {
                ctx.saveForBackward(inputs[0]);
                return inputs[0].mul(inputs[0]).mul(inputs[0]);
            }

            @Override
            protected Tensor[] backward(FunctionContext ctx, Tensor grad) {
                Tensor x = ctx.saved(0);
                return new Tensor[] {grad.mul(x.square()).mul(3f)};
            }

            @Override
            public String name() {
                return "cube";
            }
        };
        Tensor x = Tensor.fromArray(new float[] {1, 2}, 2).requiresGrad(true);
        Tensor y = cube.apply(x);
        assertEquals("cube", y.gradFnName());
        y.sum().backward();
        assertArrayEquals(new float[] {3, 12}, x.grad().toArray());
    }

    @Test
    void anomalyModeNamesTheOperation() {
        Autograd.setDetectAnomaly(true);
        try {
            Tensor x = Tensor.fromArray(new float[] {1, -1}, 2).requiresGrad(true);
            ArithmeticException forward = assertThrows(ArithmeticException.class, x::log);
            assertTrue(forward.getMessage().contains("'log'"), forward.getMessage());
            Tensor zero = Tensor.fromArray(new float[] {0, 4}, 2).requiresGrad(true);
            Tensor root = zero.sqrt();
            ArithmeticException backward = assertThrows(ArithmeticException.class, () -> root.sum().backward());
            assertTrue(backward.getMessage().contains("backward pass of 'sqrt'"), backward.getMessage());
        } finally {
            Autograd.setDetectAnomaly(false);
        }
        assertTrue(Float.isNaN(Tensor.fromArray(new float[] {-1}, 1).log().item()), "off by default: NaN passes");
    }

    @Test
    void aGradientHandedToTwoInputsIsNotSharedBetweenThem() {
        AutogradFunction sameGradientTwice = new AutogradFunction() {
            @Override
            protected Tensor forward(FunctionContext ctx, Tensor... inputs) {
                return inputs[0].add(inputs[1]);
            }

            @Override
            protected Tensor[] backward(FunctionContext ctx, Tensor grad) {
                Tensor shared = grad.mul(1f);
                return new Tensor[] {shared, shared};
            }
        };
        Tensor a = Tensor.ones(2).requiresGrad(true);
        Tensor b = Tensor.ones(2).requiresGrad(true);
        Tensor c = Tensor.ones(2).requiresGrad(true);
        // a gets the shared gradient and, through b.mul(1) + a, a second one; c's branch reads the shared one.
        Tensor y = sameGradientTwice.apply(a, c.mul(1f)).add(a);
        y.sum().backward();
        assertArrayEquals(new float[] {2, 2}, a.grad().toArray());
        assertArrayEquals(new float[] {1, 1}, c.grad().toArray());
        Tensor first = b.mul(2f);
        first.sum().backward();
        Tensor kept = b.grad();
        b.mul(2f).sum().backward();
        assertArrayEquals(new float[] {4, 4}, kept.toArray(), "a leaf's gradient accumulates in place");
    }

    @Test
    void retainGradKeepsAnIntermediateGradient() {
        Tensor p = Tensor.fromArray(new float[] {1, 2}, 2).requiresGrad(true);
        Tensor mid = p.mul(3f).retainGrad();
        mid.square().sum().backward();
        assertArrayEquals(new float[] {6, 12}, mid.grad().toArray());
        assertArrayEquals(new float[] {18, 36}, p.grad().toArray());
    }
}
