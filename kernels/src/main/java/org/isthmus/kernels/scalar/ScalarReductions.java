package org.isthmus.kernels.scalar;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.isthmus.kernels.ReductionKernels;

/** Reference reductions over the middle dimension of outer×size×inner, accumulating in double. */
final class ScalarReductions implements ReductionKernels {

    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;

    @Override
    public void sum(MemorySegment x, MemorySegment y, int outer, int size, int inner) {
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                y.setAtIndex(FLOAT, (long) o * inner + i, (float) sum(x, o, i, size, inner));
            }
        }
    }

    @Override
    public void mean(MemorySegment x, MemorySegment y, int outer, int size, int inner) {
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                y.setAtIndex(FLOAT, (long) o * inner + i, (float) (sum(x, o, i, size, inner) / size));
            }
        }
    }

    /** The first index of the maximum; a NaN beats every number, so the first NaN when there is one. */
    @Override
    public void max(MemorySegment x, MemorySegment y, MemorySegment indices, int outer, int size, int inner) {
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                float best = x.getAtIndex(FLOAT, index(o, 0, i, size, inner));
                int bestIndex = 0;
                for (int s = 1; s < size && !Float.isNaN(best); s++) {
                    float value = x.getAtIndex(FLOAT, index(o, s, i, size, inner));
                    if (value > best || Float.isNaN(value)) {
                        best = value;
                        bestIndex = s;
                    }
                }
                long out = (long) o * inner + i;
                y.setAtIndex(FLOAT, out, best);
                if (indices != null) {
                    indices.setAtIndex(INT, out, bestIndex);
                }
            }
        }
    }

    @Override
    public void variance(MemorySegment x, MemorySegment y, int outer, int size, int inner, int correction) {
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                double mean = sum(x, o, i, size, inner) / size;
                double squares = 0;
                for (int s = 0; s < size; s++) {
                    double d = x.getAtIndex(FLOAT, index(o, s, i, size, inner)) - mean;
                    squares += d * d;
                }
                y.setAtIndex(FLOAT, (long) o * inner + i, (float) (squares / (size - correction)));
            }
        }
    }

    @Override
    public void expand(MemorySegment dy, MemorySegment dx, int outer, int size, int inner, float scale) {
        for (int o = 0; o < outer; o++) {
            for (int s = 0; s < size; s++) {
                for (int i = 0; i < inner; i++) {
                    float g = dy.getAtIndex(FLOAT, (long) o * inner + i);
                    dx.setAtIndex(FLOAT, index(o, s, i, size, inner), (float) ((double) scale * g));
                }
            }
        }
    }

    @Override
    public void maxBackward(MemorySegment dy, MemorySegment indices, MemorySegment dx, int outer, int size,
                            int inner) {
        dx.asSlice(0, (long) outer * size * inner * Float.BYTES).fill((byte) 0);
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                long out = (long) o * inner + i;
                dx.setAtIndex(FLOAT, index(o, indices.getAtIndex(INT, out), i, size, inner), dy.getAtIndex(FLOAT, out));
            }
        }
    }

    @Override
    public void varianceBackward(MemorySegment x, MemorySegment dy, MemorySegment dx, int outer, int size, int inner,
                                 int correction) {
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                double mean = sum(x, o, i, size, inner) / size;
                double factor = 2.0 * dy.getAtIndex(FLOAT, (long) o * inner + i) / (size - correction);
                for (int s = 0; s < size; s++) {
                    long at = index(o, s, i, size, inner);
                    dx.setAtIndex(FLOAT, at, (float) (factor * (x.getAtIndex(FLOAT, at) - mean)));
                }
            }
        }
    }

    private static double sum(MemorySegment x, int o, int i, int size, int inner) {
        double sum = 0;
        for (int s = 0; s < size; s++) {
            sum += x.getAtIndex(FLOAT, index(o, s, i, size, inner));
        }
        return sum;
    }

    private static long index(int o, int s, int i, int size, int inner) {
        return ((long) o * size + s) * inner + i;
    }
}
