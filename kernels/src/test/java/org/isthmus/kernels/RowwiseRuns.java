package org.isthmus.kernels;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/**
 * Runs one kernel call on heap, native or mixed copies of its operands and compares the outputs
 * of every optimized backend with the reference's: what the softmax and normalization tests share.
 */
final class RowwiseRuns {

    /** One kernel call on the given segments; it may pass null for an optional one it leaves out. */
    @FunctionalInterface
    interface Call {
        void run(Backend backend, MemorySegment[] inputs, MemorySegment[] outputs);
    }

    /** 130 rows of 1031 are enough work for two parts: the parallel path. */
    private static final int[] ROWS = {1, 16, 17, 130};
    private static final int[] COLS = {1, 15, 16, 17, 207, 1031};

    private RowwiseRuns() {
    }

    /** rows × cols with every vector tail in a row, and enough rows for the parallel path. */
    static Stream<Arguments> shapes() {
        List<Arguments> shapes = new ArrayList<>();
        for (int rows : ROWS) {
            for (int cols : COLS) {
                shapes.add(Arguments.of(rows, cols));
            }
        }
        return shapes.stream();
    }

    /**
     * Where a call's operands live. The mixed placements alternate heap and native over the inputs
     * and, the other way round, over the outputs (a one-input, one-output call gets one of each), so
     * that a kernel that assumes all its operands are alike fails.
     */
    enum Placement {
        HEAP, NATIVE, NATIVE_INPUTS_FIRST, HEAP_INPUTS_FIRST;

        boolean isNative(boolean input, int index) {
            return switch (this) {
                case HEAP -> false;
                case NATIVE -> true;
                case NATIVE_INPUTS_FIRST -> input == (index % 2 == 0);
                case HEAP_INPUTS_FIRST -> input != (index % 2 == 0);
            };
        }
    }

    /**
     * The outputs of one call. They start as NaN, so an element a kernel fails to write shows.
     * Native memory comes from a shared arena, so that the pool's workers may share the call.
     */
    static float[][] run(Backend backend, Call call, Placement placement, float[][] inputs, int... outputSizes) {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment[] in = new MemorySegment[inputs.length];
            for (int i = 0; i < inputs.length; i++) {
                in[i] = placement.isNative(true, i) ? KernelChecks.nativeCopy(arena, inputs[i])
                        : KernelChecks.heap(inputs[i].clone());
            }
            MemorySegment[] out = new MemorySegment[outputSizes.length];
            for (int i = 0; i < outputSizes.length; i++) {
                float[] nan = new float[outputSizes[i]];
                Arrays.fill(nan, Float.NaN);
                out[i] = placement.isNative(false, i) ? KernelChecks.nativeCopy(arena, nan) : KernelChecks.heap(nan);
            }
            call.run(backend, in, out);
            float[][] results = new float[outputSizes.length][];
            for (int i = 0; i < outputSizes.length; i++) {
                results[i] = KernelChecks.toArray(out[i], outputSizes[i]);
            }
            return results;
        }
    }

    /**
     * Every optimized backend, with every {@link Placement} of the operands, against the reference:
     * each output within {@code tolerance} (relative norm error). Skipped when no optimized backend is
     * available.
     */
    static void assertMatchesReference(String what, double tolerance, Call call, float[][] inputs, int... outputSizes) {
        List<Backend> optimized = KernelChecks.optimizedBackends().toList();
        assumeTrue(!optimized.isEmpty(), () -> "no optimized backend: " + Backends.describe());
        float[][] expected = run(KernelChecks.reference(), call, Placement.HEAP, inputs, outputSizes);
        for (Backend backend : optimized) {
            for (Placement placement : Placement.values()) {
                float[][] actual = run(backend, call, placement, inputs, outputSizes);
                for (int i = 0; i < expected.length; i++) {
                    KernelChecks.assertClose(expected[i], actual[i], tolerance, what + ", " + backend.name()
                            + ", " + placement + ", output " + i + " (seed " + TestSeeds.BASE + ")");
                }
            }
        }
    }
}
