package org.isthmus.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Factories, views that share storage, copies, and in-place writes. */
class TensorViewTest {

    private static Tensor sequence(int... shape) {
        return Tensor.arange(0, (float) Shapes.numel(shape), 1).reshape(shape);
    }

    @Test
    void factoriesFillAsAsked() {
        assertArrayEquals(new float[] {0, 0, 0}, Tensor.zeros(3).toArray());
        assertArrayEquals(new float[] {1, 1}, Tensor.ones(2).toArray());
        assertArrayEquals(new float[] {7, 7, 7, 7}, Tensor.full(7, 2, 2).toArray());
        assertArrayEquals(new float[] {0, 1, 2, 3}, Tensor.arange(4).toArray());
        assertArrayEquals(new float[] {1, 0.5f, 0}, Tensor.arange(1, -0.25f, -0.5f).toArray());
        assertEquals(3f, Tensor.scalar(3).item());
        assertEquals(0, Tensor.scalar(3).dim());
        assertArrayEquals(Tensor.randn(new SplittableRandom(5), 3, 4).toArray(), Tensor.randn(new SplittableRandom(5), 3, 4).toArray(),
                "a seeded generator draws the same tensor");
        float[] coin = Tensor.bernoulli(new SplittableRandom(1), 0.25f, 10_000).toArray();
        double ones = 0;
        for (float v : coin) {
            ones += v;
        }
        assertEquals(2500, ones, 4 * Math.sqrt(10_000 * 0.25 * 0.75), "bernoulli(0.25) within 4 standard deviations");
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> Tensor.fromArray(new float[5], 2, 3));
        assertTrue(error.getMessage().contains("[2, 3]"), error.getMessage());
    }

    @Test
    void fromArrayCopiesAndNativeStorageWorks() {
        float[] data = {1, 2, 3, 4};
        Tensor t = Tensor.fromArray(data, 2, 2);
        data[0] = 100;
        assertEquals(1f, t.get(0, 0), "fromArray copies its input");
        try (Arena arena = Arena.ofConfined()) {
            Tensor n = Tensor.of(Storage.allocateNative(arena, 4), 2, 2);
            n.copy_(t);
            assertArrayEquals(new float[] {2, 4, 6, 8}, n.add(n).toArray(), 0f, "kernels on native memory");
            assertArrayEquals(new float[] {1, 3, 2, 4}, n.t().contiguous().toArray());
        }
    }

    @Test
    void viewsShareStorageAndWritesShowInTheBase() {
        Tensor base = sequence(2, 3);
        Tensor view = base.view(3, 2);
        assertSame(base.storage(), view.storage());
        view.narrow(0, 1, 1).fill_(-1);
        assertArrayEquals(new float[] {0, 1, -1, -1, 4, 5}, base.toArray());
        base.select(1, 2).copy_(Tensor.fromArray(new float[] {8, 9}, 2));
        assertArrayEquals(new float[] {0, 1, 8, -1, 4, 9}, base.toArray());
        Tensor column = base.t().select(0, 0);
        assertArrayEquals(new float[] {0, -1}, column.toArray());
    }

    @Test
    void viewOnAPermutedTensorFailsAndReshapeCopies() {
        Tensor base = sequence(2, 3, 4);
        Tensor permuted = base.permute(2, 0, 1);
        assertArrayEquals(new int[] {4, 2, 3}, permuted.shape());
        assertEquals(13f, permuted.get(1, 1, 0));
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> permuted.view(24));
        assertTrue(error.getMessage().contains("contiguous()"), error.getMessage());
        Tensor reshaped = permuted.reshape(24);
        assertNotSame(base.storage(), reshaped.storage(), "reshape of a permuted tensor copies");
        assertArrayEquals(permuted.contiguous().toArray(), reshaped.toArray());
        // Its last two dimensions still lie one after the other in memory: merging them is a view.
        Tensor merged = permuted.view(4, -1);
        assertSame(base.storage(), merged.storage());
        assertArrayEquals(permuted.contiguous().toArray(), merged.contiguous().toArray());
        // Splitting a dimension of a non-contiguous tensor is still a view.
        Tensor transposed = sequence(4, 6).t();
        Tensor split = transposed.view(2, 3, 4);
        assertSame(transposed.storage(), split.storage());
        assertArrayEquals(transposed.contiguous().toArray(), split.contiguous().toArray());
    }

    @Test
    void shapeOperations() {
        Tensor x = sequence(2, 1, 3);
        assertArrayEquals(new int[] {2, 3}, x.squeeze().shape());
        assertArrayEquals(new int[] {2, 3}, x.squeeze(1).shape());
        assertArrayEquals(new int[] {2, 1, 3}, x.squeeze(0).shape());
        assertArrayEquals(new int[] {2, 1, 3, 1}, x.unsqueeze(-1).shape());
        assertArrayEquals(new int[] {1, 2, 1, 3}, x.unsqueeze(0).shape());
        assertArrayEquals(new int[] {6}, x.flatten().shape());
        assertArrayEquals(new int[] {2, 3}, x.flatten(1, 2).shape());
        assertArrayEquals(new float[] {1, 2}, sequence(2, 3).slice(1, 1, 3).select(0, 0).toArray());
        assertArrayEquals(new float[] {0, 1, 2, 0, 1, 2}, Tensor.arange(3).expand(2, 3).toArray());
        Tensor contiguous = sequence(3, 3);
        assertSame(contiguous, contiguous.contiguous());
        assertNotSame(contiguous.storage(), contiguous.clone().storage());
        assertThrows(IllegalArgumentException.class, () -> x.narrow(2, 2, 2));
        assertThrows(IllegalArgumentException.class, () -> x.view(5, -1));
        assertThrows(IllegalArgumentException.class, () -> x.permute(0, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> Tensor.arange(3).expand(2, 4));
    }

    @Test
    void joiningAndIndexing() {
        Tensor a = sequence(2, 2);
        Tensor b = sequence(1, 2).add(10f);
        assertArrayEquals(new float[] {0, 1, 2, 3, 10, 11}, Tensor.cat(List.of(a, b), 0).toArray());
        assertArrayEquals(new int[] {2, 2, 2}, Tensor.stack(List.of(a, a), 1).shape());
        assertArrayEquals(new float[] {0, 1, 0, 1, 2, 3, 2, 3}, Tensor.stack(List.of(a, a), 1).toArray());
        Tensor picked = a.gather(1, Tensor.fromArray(new float[] {1, 0}, 2, 1));
        assertArrayEquals(new float[] {1, 2}, picked.toArray());
        assertArrayEquals(new float[] {0, 1, 0, 1, 0, 0}, Tensor.oneHot(Tensor.fromArray(new float[] {1, 0}, 2), 3).toArray());
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> Tensor.oneHot(Tensor.fromArray(new float[] {3}, 1), 3));
        assertTrue(error.getMessage().contains("[0, 3)"), error.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Tensor.cat(List.of(a, sequence(2, 3)), 0));
    }

    @Test
    void broadcastingArithmetic() {
        Tensor m = sequence(2, 3);
        assertArrayEquals(new float[] {10, 21, 32, 13, 24, 35}, m.add(Tensor.fromArray(new float[] {10, 20, 30}, 3)).toArray());
        assertArrayEquals(new float[] {0, 1, 2, 30, 40, 50}, m.mul(Tensor.fromArray(new float[] {1, 10}, 2, 1)).toArray());
        assertArrayEquals(new float[] {1, 0, -1, -2, -3, -4}, Tensor.scalar(1).sub(m).toArray());
        Tensor col = Tensor.fromArray(new float[] {1, 2}, 2, 1, 1);
        Tensor row = Tensor.fromArray(new float[] {1, 2, 3}, 1, 1, 3);
        assertArrayEquals(new int[] {2, 1, 3}, col.mul(row).shape());
        assertArrayEquals(new float[] {1, 2, 3, 2, 4, 6}, col.mul(row).toArray());
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> m.add(Tensor.ones(2)));
        assertTrue(error.getMessage().contains("[2, 3]") && error.getMessage().contains("[2]"), error.getMessage());
    }

    @Test
    void matmulHandsTransposedViewsToSgemm() {
        Tensor a = sequence(2, 3);
        Tensor b = sequence(3, 2);
        assertArrayEquals(new float[] {10, 13, 28, 40}, a.matmul(b).toArray());
        assertArrayEquals(a.matmul(b).t().contiguous().toArray(), b.t().matmul(a.t()).toArray());
        assertEquals(5f, Tensor.arange(3).matmul(Tensor.arange(3)).item(), "1-D · 1-D is a dot product");
        Tensor batch = sequence(4, 2, 3);
        Tensor out = batch.matmul(b);
        assertArrayEquals(new int[] {4, 2, 2}, out.shape());
        assertArrayEquals(batch.select(0, 3).matmul(b).toArray(), out.select(0, 3).toArray());
        Tensor broadcastBatch = sequence(2, 1, 2, 3).matmul(sequence(3, 3, 2));
        assertArrayEquals(new int[] {2, 3, 2, 2}, broadcastBatch.shape());
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> a.matmul(a));
        assertTrue(error.getMessage().contains("[2, 3]"), error.getMessage());
    }

    @Test
    void reductions() {
        Tensor m = Tensor.fromArray(new float[] {1, 5, 3, 4, 2, 6}, 2, 3);
        assertEquals(21f, m.sum().item());
        assertArrayEquals(new float[] {5, 7, 9}, m.sum(0, false).toArray());
        assertArrayEquals(new int[] {2, 1}, m.sum(1, true).shape());
        assertArrayEquals(new float[] {3, 4}, m.mean(1, false).toArray());
        assertArrayEquals(new float[] {5, 6}, m.max(1, false).toArray());
        assertArrayEquals(new float[] {1, 2}, m.argmax(1, false).toArray());
        assertArrayEquals(new float[] {4, 4}, m.var(1, 1, false).toArray(), 1e-6f);
        assertEquals(6f, m.max().item());
    }
}
