package org.isthmus.kernels.vector;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Copies blocks of op(A) and op(B) into the packed, zero-padded panels the micro-kernel
 * streams through. Packed panels are off-heap, 64-byte aligned, and ours.
 */
final class GemmPacking {

    private static final VectorSpecies<Float> S = Species.FLOAT;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    // Unaligned layouts even for our aligned panels: they skip a per-access alignment check.
    private static final ValueLayout.OfFloat SOURCE = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfFloat PACKED = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private static final int NR = VectorGemm.NR;
    /** Rows of each sliver that {@link #copySlivers} packs before moving to the next sliver. */
    private static final int SLIVER_ROWS = 32;

    private GemmPacking() {
    }

    /**
     * Packs {@code rows} source rows of {@code width} floats (rows {@code ld} apart, starting at
     * element {@code index}) as rows of {@code stride} floats, zero-padded, times {@code scale}.
     */
    static void rows(Operand src, long index, int ld, int rows, int width,
                     MemorySegment packed, long base, int stride, float scale) {
        if (src.onArray() && scale == 1f && width == stride && width % S.length() == 0) {
            copyRows(src.array(), (int) (src.base() + index), ld, rows, width, packed, base);
            return;
        }
        if (src.onArray() && stride % S.length() == 0) {
            copyRowsPadded(src.array(), (int) (src.base() + index), ld, rows, width, packed, base, stride, scale);
            return;
        }
        for (int r = 0; r < rows; r++) {
            long from = index + (long) r * ld;
            long to = base + (long) r * stride;
            if (src.onArray()) {
                float[] array = src.array();
                int start = (int) (src.base() + from);
                for (int j = 0; j < width; j++) {
                    packed.setAtIndex(PACKED, to + j, scale * array[start + j]);
                }
            } else {
                MemorySegment segment = src.segment();
                for (int j = 0; j < width; j++) {
                    packed.setAtIndex(PACKED, to + j, scale * segment.getAtIndex(SOURCE, from + j));
                }
            }
            for (int j = width; j < stride; j++) {
                packed.setAtIndex(PACKED, to + j, 0f);
            }
        }
    }

    /**
     * Packs {@code rows} source rows of {@code width} floats (as {@link #rows} reads them) into
     * ⌈width / NR⌉ slivers of {@code rows × NR} floats, sliver i at {@code base + i·sliverFloats}.
     */
    static void slivers(Operand src, long index, int ld, int rows, int width,
                        MemorySegment packed, long base, long sliverFloats, float scale) {
        if (src.onArray() && scale == 1f && width % NR == 0) {
            copySlivers(src.array(), (int) (src.base() + index), ld, rows, width / NR, packed, base, sliverFloats);
            return;
        }
        for (int col = 0; col < width; col += NR) {
            rows(src, index + col, ld, rows, Math.min(NR, width - col), packed, base + col / NR * sliverFloats, NR, scale);
        }
    }

    /**
     * The common case of {@link #slivers}, {@link #SLIVER_ROWS} rows of every sliver at a time: the
     * source rows are read in order, where a whole sliver at a time walks rows {@code ld} apart and
     * misses in cache on each (measured at 1024 columns: 0.3 against 0.6–0.9 ns a float). The row
     * copy has the constant length NR, which C2 unrolls; a variable one, as in {@link #copyRows},
     * costs as much as the cache misses on rows this short.
     */
    private static void copySlivers(float[] src, int start, int ld, int rows, int count,
                                    MemorySegment packed, long base, long sliverFloats) {
        for (int r = 0; r < rows; r += SLIVER_ROWS) {
            int end = Math.min(rows, r + SLIVER_ROWS);
            for (int s = 0; s < count; s++) {
                long to = (base + s * sliverFloats + (long) r * NR) * Float.BYTES;
                for (int from = start + r * ld + s * NR, row = r; row < end; row++, from += ld) {
                    for (int j = 0; j < NR; j += S.length(), to += (long) S.length() * Float.BYTES) {
                        FloatVector.fromArray(S, src, from + j).intoMemorySegment(packed, to, ORDER);
                    }
                }
            }
        }
    }

    /** The common case of {@link #rows}: whole vectors from a float[], nothing to scale or pad. */
    private static void copyRows(float[] src, int start, int ld, int rows, int width, MemorySegment packed, long base) {
        long to = base * Float.BYTES;
        for (int r = 0; r < rows; r++) {
            int from = start + r * ld;
            for (int j = 0; j < width; j += S.length()) {
                FloatVector.fromArray(S, src, from + j).intoMemorySegment(packed, to, ORDER);
                to += (long) S.length() * Float.BYTES;
            }
        }
    }

    /** {@link #rows} from a float[] into whole vectors: a masked load for the last part, zeros after it. */
    private static void copyRowsPadded(float[] src, int start, int ld, int rows, int width, MemorySegment packed,
                                       long base, int stride, float scale) {
        int whole = width - width % S.length();
        VectorMask<Float> tail = S.indexInRange(whole, width);
        FloatVector zero = FloatVector.zero(S);
        long vectorBytes = (long) S.length() * Float.BYTES;
        for (int r = 0; r < rows; r++) {
            int from = start + r * ld;
            long to = (base + (long) r * stride) * Float.BYTES;
            int j = 0;
            for (; j < whole; j += S.length(), to += vectorBytes) {
                FloatVector.fromArray(S, src, from + j).mul(scale).intoMemorySegment(packed, to, ORDER);
            }
            if (whole < width) {
                FloatVector.fromArray(S, src, from + j, tail).mul(scale).intoMemorySegment(packed, to, ORDER);
                j += S.length();
                to += vectorBytes;
            }
            for (; j < stride; j += S.length(), to += vectorBytes) {
                zero.intoMemorySegment(packed, to, ORDER);
            }
        }
    }

    /**
     * {@link #rows} for rows of exactly six floats from a float[], unrolled: a full MR = 6 sliver
     * of op(A) when A is transposed. Three times faster than the general loop (measured: 0.6
     * against 1.8 ns a float), which spends its time on loop overhead for such short rows.
     */
    static void rowsOfSix(float[] src, int start, int ld, int rows, MemorySegment packed, long base, float scale) {
        long to = base * Float.BYTES;
        int from = start;
        for (int r = 0; r < rows; r++) {
            packed.set(PACKED, to, scale * src[from]);
            packed.set(PACKED, to + 4, scale * src[from + 1]);
            packed.set(PACKED, to + 8, scale * src[from + 2]);
            packed.set(PACKED, to + 12, scale * src[from + 3]);
            packed.set(PACKED, to + 16, scale * src[from + 4]);
            packed.set(PACKED, to + 20, scale * src[from + 5]);
            from += ld;
            to += 6 * Float.BYTES;
        }
    }

    /**
     * Packs the transpose: {@code lines} source rows of {@code length} floats (rows {@code ld}
     * apart) become columns 0..lines-1 of a {@code length × stride} packed block, times
     * {@code scale}; columns lines..stride-1 are zero.
     */
    static void transposed(Operand src, long index, int ld, int lines, int length,
                           MemorySegment packed, long base, int stride, float scale) {
        if (lines < stride) {
            // One fill for the padding columns: written column by column they took one strided store an
            // element (22 of 32 columns at n = 10: packing a transposed 10×256 B took 3.8 µs, now 1.8).
            packed.asSlice(base * Float.BYTES, (long) length * stride * Float.BYTES).fill((byte) 0);
        }
        for (int line = 0; line < lines; line++) {
            long from = index + (long) line * ld;
            if (src.onArray()) {
                float[] array = src.array();
                int start = (int) (src.base() + from);
                for (int p = 0; p < length; p++) {
                    packed.setAtIndex(PACKED, base + (long) p * stride + line, scale * array[start + p]);
                }
            } else {
                MemorySegment segment = src.segment();
                for (int p = 0; p < length; p++) {
                    packed.setAtIndex(PACKED, base + (long) p * stride + line, scale * segment.getAtIndex(SOURCE, from + p));
                }
            }
        }
    }
}
