package org.isthmus.kernels.vector;

import static org.isthmus.kernels.KernelChecks.assertClose;
import static org.isthmus.kernels.KernelChecks.heap;
import static org.isthmus.kernels.KernelChecks.nativeCopy;
import static org.isthmus.kernels.KernelChecks.toArray;
import static org.isthmus.kernels.KernelChecks.uniform;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.isthmus.kernels.Backend;
import org.isthmus.kernels.Backends;
import org.isthmus.kernels.Conv2dShape;
import org.isthmus.kernels.KernelChecks;

/** Checks shared by the tests of the vector backend's convolution paths. */
final class VectorConvolutionChecks {

    private static final Backend VECTOR = Backends.get("vector");

    private VectorConvolutionChecks() {
    }

    /**
     * The vector backend's conv2d (without and with bias) and conv2dBackwardData against the
     * scalar reference on uniform data in [−1, 1] drawn from {@code seed}: heap segments (the
     * outputs filled with NaN first, so that they must be overwritten, not accumulated), native
     * segments of a shared arena for the forward pass and of a confined one (one thread) for
     * backward data; norm-wise relative error at most {@code tolerance}.
     */
    static void forwardAndBackwardDataMatchTheReference(Conv2dShape s, long seed, double tolerance) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] x = uniform(random, (int) s.inputSize(), -1, 1);
        float[] w = uniform(random, (int) s.weightSize(), -1, 1);
        float[] bias = uniform(random, s.outChannels(), -1, 1);
        float[] dy = uniform(random, (int) s.outputSize(), -1, 1);
        for (boolean withBias : new boolean[] {false, true}) {
            float[] expected = new float[(int) s.outputSize()];
            KernelChecks.reference().conv2d(s, heap(x), heap(w), withBias ? heap(bias) : null, heap(expected));
            float[] y = new float[expected.length];
            Arrays.fill(y, Float.NaN);
            VECTOR.conv2d(s, heap(x), heap(w), withBias ? heap(bias) : null, heap(y));
            assertClose(expected, y, tolerance, "conv2d, heap, bias " + withBias);
            try (Arena arena = Arena.ofShared()) {
                MemorySegment out = arena.allocate((long) expected.length * Float.BYTES);
                VECTOR.conv2d(s, nativeCopy(arena, x), nativeCopy(arena, w), withBias ? nativeCopy(arena, bias) : null, out);
                assertClose(expected, toArray(out, expected.length), tolerance, "conv2d, native, bias " + withBias);
            }
        }
        float[] expected = new float[(int) s.inputSize()];
        KernelChecks.reference().conv2dBackwardData(s, heap(dy), heap(w), heap(expected));
        float[] dx = new float[expected.length];
        Arrays.fill(dx, Float.NaN);
        VECTOR.conv2dBackwardData(s, heap(dy), heap(w), heap(dx));
        assertClose(expected, dx, tolerance, "conv2dBackwardData, heap");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate((long) expected.length * Float.BYTES);
            VECTOR.conv2dBackwardData(s, nativeCopy(arena, dy), nativeCopy(arena, w), out);
            assertClose(expected, toArray(out, expected.length), tolerance, "conv2dBackwardData, native (confined)");
        }
    }
}
