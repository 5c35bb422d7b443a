package org.isthmus.kernels.vector;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.stream.IntStream;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
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
    private static final int V = S.length();
    /** Source rows {@link #transposeBlock} transposes at a time: 16 registers, one per row. */
    static final int TRANSPOSE_LINES = 16;
    /** The lanes of one six-float row ({@link #rowsOfSix}; used only where V ≥ 6). */
    private static final VectorMask<Float> FIRST_SIX = S.indexInRange(0, 6);
    private static final VectorShuffle<Float> RIGHT_8 = rotation(8);
    private static final VectorShuffle<Float> LEFT_8 = rotation(-8);
    private static final VectorMask<Float> BIT_8 = lanesWithBit(8);
    private static final VectorShuffle<Float> RIGHT_4 = rotation(4);
    private static final VectorShuffle<Float> LEFT_4 = rotation(-4);
    private static final VectorMask<Float> BIT_4 = lanesWithBit(4);
    private static final VectorShuffle<Float> RIGHT_2 = rotation(2);
    private static final VectorShuffle<Float> LEFT_2 = rotation(-2);
    private static final VectorMask<Float> BIT_2 = lanesWithBit(2);
    private static final VectorShuffle<Float> RIGHT_1 = rotation(1);
    private static final VectorShuffle<Float> LEFT_1 = rotation(-1);
    private static final VectorMask<Float> BIT_1 = lanesWithBit(1);
    // transposeSixLines: output vector i of a group takes the lanes of lines 2j and 2j + 1 by
    // FROM_{2j}{2j+1}_TO_i, and LINES_{2j}{2j+1}_IN_i marks which of its lanes they fill.
    private static final VectorShuffle<Float> FROM_01_TO_0 = sixLineShuffle(0, 0);
    private static final VectorShuffle<Float> FROM_23_TO_0 = sixLineShuffle(0, 2);
    private static final VectorShuffle<Float> FROM_45_TO_0 = sixLineShuffle(0, 4);
    private static final VectorShuffle<Float> FROM_01_TO_1 = sixLineShuffle(1, 0);
    private static final VectorShuffle<Float> FROM_23_TO_1 = sixLineShuffle(1, 2);
    private static final VectorShuffle<Float> FROM_45_TO_1 = sixLineShuffle(1, 4);
    private static final VectorShuffle<Float> FROM_01_TO_2 = sixLineShuffle(2, 0);
    private static final VectorShuffle<Float> FROM_23_TO_2 = sixLineShuffle(2, 2);
    private static final VectorShuffle<Float> FROM_45_TO_2 = sixLineShuffle(2, 4);
    private static final VectorMask<Float> LINES_23_IN_0 = sixLineMask(0, 2);
    private static final VectorMask<Float> LINES_45_IN_0 = sixLineMask(0, 4);
    private static final VectorMask<Float> LINES_23_IN_1 = sixLineMask(1, 2);
    private static final VectorMask<Float> LINES_45_IN_1 = sixLineMask(1, 4);
    private static final VectorMask<Float> LINES_23_IN_2 = sixLineMask(2, 2);
    private static final VectorMask<Float> LINES_45_IN_2 = sixLineMask(2, 4);

    private GemmPacking() {
    }

    /**
     * Packs {@code rows} source rows of {@code width} floats (rows {@code ld} apart, starting at
     * element {@code index}) as rows of {@code stride} floats, zero-padded, times {@code scale}.
     */
    static void rows(Operand src, long index, int ld, int rows, int width,
                     MemorySegment packed, long base, int stride, float scale) {
        if (src.onArray() && scale == 1f && width == stride && width % V == 0) {
            copyRows(src.array(), (int) (src.base() + index), ld, rows, width, packed, base);
            return;
        }
        if (src.onArray() && stride % V == 0) {
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
                    for (int j = 0; j < NR; j += V, to += (long) V * Float.BYTES) {
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
            for (int j = 0; j < width; j += V) {
                FloatVector.fromArray(S, src, from + j).intoMemorySegment(packed, to, ORDER);
                to += (long) V * Float.BYTES;
            }
        }
    }

    /** {@link #rows} from a float[] into whole vectors: a masked load for the last part, zeros after it. */
    private static void copyRowsPadded(float[] src, int start, int ld, int rows, int width, MemorySegment packed,
                                       long base, int stride, float scale) {
        int whole = width - width % V;
        VectorMask<Float> tail = S.indexInRange(whole, width);
        FloatVector zero = FloatVector.zero(S);
        long vectorBytes = (long) V * Float.BYTES;
        for (int r = 0; r < rows; r++) {
            int from = start + r * ld;
            long to = (base + (long) r * stride) * Float.BYTES;
            int j = 0;
            for (; j < whole; j += V, to += vectorBytes) {
                FloatVector.fromArray(S, src, from + j).mul(scale).intoMemorySegment(packed, to, ORDER);
            }
            if (whole < width) {
                FloatVector.fromArray(S, src, from + j, tail).mul(scale).intoMemorySegment(packed, to, ORDER);
                j += V;
                to += vectorBytes;
            }
            for (; j < stride; j += V, to += vectorBytes) {
                zero.intoMemorySegment(packed, to, ORDER);
            }
        }
    }

    /**
     * {@link #rows} for rows of six floats from a float[]: each of {@code rows} source rows
     * ({@code ld} apart) holds {@code slivers} six-float rows side by side, which become row r of
     * the slivers at {@code base}, {@code base + sliverFloats}, …: the MR = 6 slivers of a
     * transposed op(A), each source row read once for all of them. Each six-float row is one
     * vector load and one masked store where V ≥ 6 and the load stays inside the array, six
     * scalar stores otherwise.
     */
    static void rowsOfSix(float[] src, int start, int ld, int rows, int slivers,
                          MemorySegment packed, long base, long sliverFloats, float scale) {
        long sliverBytes = sliverFloats * Float.BYTES;
        int width = 6 * slivers;
        for (int r = 0, from = start; r < rows; r++, from += ld) {
            long to = (base + 6L * r) * Float.BYTES;
            if (V >= 6 && from + width - 6 + V <= src.length) {
                for (int j = from, end = from + width; j < end; j += 6, to += sliverBytes) {
                    FloatVector.fromArray(S, src, j).mul(scale).intoMemorySegment(packed, to, ORDER, FIRST_SIX);
                }
            } else {
                for (int j = from, end = from + width; j < end; j += 6, to += sliverBytes) {
                    packed.set(PACKED, to, scale * src[j]);
                    packed.set(PACKED, to + 4, scale * src[j + 1]);
                    packed.set(PACKED, to + 8, scale * src[j + 2]);
                    packed.set(PACKED, to + 12, scale * src[j + 3]);
                    packed.set(PACKED, to + 16, scale * src[j + 4]);
                    packed.set(PACKED, to + 20, scale * src[j + 5]);
                }
            }
        }
    }

    /**
     * Packs the transpose: {@code lines} source rows of {@code length} floats (rows {@code ld}
     * apart) become columns 0..lines-1 of a {@code length × stride} packed block, times
     * {@code scale}; columns lines..stride-1 are zero. From a float[] into rows of a multiple of
     * 16 floats, whole groups of V positions go through {@link #transposeBlock}; the rest, and
     * native sources, one element at a time.
     */
    static void transposed(Operand src, long index, int ld, int lines, int length,
                           MemorySegment packed, long base, int stride, float scale) {
        int whole = src.onArray() && stride % TRANSPOSE_LINES == 0 ? length - length % V : 0;
        int blockLines = Math.ceilDiv(lines, TRANSPOSE_LINES) * TRANSPOSE_LINES;
        long rowBytes = (long) stride * Float.BYTES;
        FloatVector zero = FloatVector.zero(S);
        for (int p = 0; p < whole; p += V) {
            for (int line = 0; line < lines; line += TRANSPOSE_LINES) {
                transposeBlock(src.array(), src.base() + (int) index + line * ld + p, ld, lines - line,
                        packed, (base + (long) p * stride + line) * Float.BYTES, rowBytes, scale);
            }
            for (long row = base + (long) p * stride, end = row + (long) V * stride; row < end; row += stride) {
                for (int column = blockLines; column < stride; column += V) {
                    zero.intoMemorySegment(packed, (row + column) * Float.BYTES, ORDER);
                }
            }
        }
        if (whole == length) {
            return;
        }
        if (lines < stride) {
            // One fill for the padding columns: written column by column they took one strided store an
            // element (22 of 32 columns at n = 10: packing a transposed 10×256 B took 3.8 µs, then 1.8).
            packed.asSlice((base + (long) whole * stride) * Float.BYTES, (long) (length - whole) * stride * Float.BYTES)
                    .fill((byte) 0);
        }
        for (int line = 0; line < lines; line++) {
            long from = index + (long) line * ld;
            if (src.onArray()) {
                float[] array = src.array();
                int start = (int) (src.base() + from);
                for (int p = whole; p < length; p++) {
                    packed.setAtIndex(PACKED, base + (long) p * stride + line, scale * array[start + p]);
                }
            } else {
                MemorySegment segment = src.segment();
                for (int p = whole; p < length; p++) {
                    packed.setAtIndex(PACKED, base + (long) p * stride + line, scale * segment.getAtIndex(SOURCE, from + p));
                }
            }
        }
    }

    /**
     * {@link #transposed} for exactly six lines from a float[] into rows of six floats: a full
     * MR = 6 sliver of an untransposed op(A). V/2 positions of the six lines become three vectors
     * of the packed sliver, each gathered from the lines two at a time (two-source rearranges) and
     * blended; the positions left at the end are packed one at a time. At 2048³, packing A one
     * element at a time cost 6% of the call; this way, packing it twice (once a panel of B) costs
     * about 2.5% (bench/NOTES.md, "Session 28").
     */
    static void transposeSixLines(float[] src, int start, int ld, int length, MemorySegment packed, long base, float scale) {
        long to = base * Float.BYTES;
        long vectorBytes = (long) V * Float.BYTES;
        int p = 0;
        for (; p + V <= length; p += V / 2, to += 3 * vectorBytes) {
            int from = start + p;
            FloatVector l0 = FloatVector.fromArray(S, src, from).mul(scale);
            FloatVector l1 = FloatVector.fromArray(S, src, from + ld).mul(scale);
            FloatVector l2 = FloatVector.fromArray(S, src, from + 2 * ld).mul(scale);
            FloatVector l3 = FloatVector.fromArray(S, src, from + 3 * ld).mul(scale);
            FloatVector l4 = FloatVector.fromArray(S, src, from + 4 * ld).mul(scale);
            FloatVector l5 = FloatVector.fromArray(S, src, from + 5 * ld).mul(scale);
            l0.rearrange(FROM_01_TO_0, l1).blend(l2.rearrange(FROM_23_TO_0, l3), LINES_23_IN_0)
                    .blend(l4.rearrange(FROM_45_TO_0, l5), LINES_45_IN_0).intoMemorySegment(packed, to, ORDER);
            l0.rearrange(FROM_01_TO_1, l1).blend(l2.rearrange(FROM_23_TO_1, l3), LINES_23_IN_1)
                    .blend(l4.rearrange(FROM_45_TO_1, l5), LINES_45_IN_1).intoMemorySegment(packed, to + vectorBytes, ORDER);
            l0.rearrange(FROM_01_TO_2, l1).blend(l2.rearrange(FROM_23_TO_2, l3), LINES_23_IN_2)
                    .blend(l4.rearrange(FROM_45_TO_2, l5), LINES_45_IN_2).intoMemorySegment(packed, to + 2 * vectorBytes, ORDER);
        }
        for (int from = start + p; p < length; p++, from++, to += 6 * Float.BYTES) {
            packed.set(PACKED, to, scale * src[from]);
            packed.set(PACKED, to + 4, scale * src[from + ld]);
            packed.set(PACKED, to + 8, scale * src[from + 2 * ld]);
            packed.set(PACKED, to + 12, scale * src[from + 3 * ld]);
            packed.set(PACKED, to + 16, scale * src[from + 4 * ld]);
            packed.set(PACKED, to + 20, scale * src[from + 5 * ld]);
        }
    }

    /**
     * 16 source rows (those past {@code lines} read as zero) × V positions from {@code from}, times
     * scale, transposed in registers by Eklundh's method: the round for b swaps the off-diagonal b×b
     * blocks of rows i and i + b (lanes with bit b set of row i take row i + b's lanes b to their
     * left, lanes with bit b clear of row i + b take row i's lanes b to their right), and after the
     * rounds for b = V/2 … 1 each group of V rows is transposed. Row i then holds position i mod V
     * of lines i − i mod V …, one vector store each. Against one strided store an element: a
     * transposed 10×256 B in 0.9 µs instead of 1.8.
     *
     * <p>Written out, without helper methods: C2 stops inlining them past a node count that this
     * method reaches, and a vector handed to a method that is not inlined is boxed (4–9× slower).
     */
    static void transposeBlock(float[] src, int from, int ld, int lines,
                                       MemorySegment packed, long to, long rowBytes, float scale) {
        FloatVector zero = FloatVector.zero(S);
        FloatVector r0 = lines > 0 ? FloatVector.fromArray(S, src, from + 0 * ld).mul(scale) : zero;
        FloatVector r1 = lines > 1 ? FloatVector.fromArray(S, src, from + 1 * ld).mul(scale) : zero;
        FloatVector r2 = lines > 2 ? FloatVector.fromArray(S, src, from + 2 * ld).mul(scale) : zero;
        FloatVector r3 = lines > 3 ? FloatVector.fromArray(S, src, from + 3 * ld).mul(scale) : zero;
        FloatVector r4 = lines > 4 ? FloatVector.fromArray(S, src, from + 4 * ld).mul(scale) : zero;
        FloatVector r5 = lines > 5 ? FloatVector.fromArray(S, src, from + 5 * ld).mul(scale) : zero;
        FloatVector r6 = lines > 6 ? FloatVector.fromArray(S, src, from + 6 * ld).mul(scale) : zero;
        FloatVector r7 = lines > 7 ? FloatVector.fromArray(S, src, from + 7 * ld).mul(scale) : zero;
        FloatVector r8 = lines > 8 ? FloatVector.fromArray(S, src, from + 8 * ld).mul(scale) : zero;
        FloatVector r9 = lines > 9 ? FloatVector.fromArray(S, src, from + 9 * ld).mul(scale) : zero;
        FloatVector r10 = lines > 10 ? FloatVector.fromArray(S, src, from + 10 * ld).mul(scale) : zero;
        FloatVector r11 = lines > 11 ? FloatVector.fromArray(S, src, from + 11 * ld).mul(scale) : zero;
        FloatVector r12 = lines > 12 ? FloatVector.fromArray(S, src, from + 12 * ld).mul(scale) : zero;
        FloatVector r13 = lines > 13 ? FloatVector.fromArray(S, src, from + 13 * ld).mul(scale) : zero;
        FloatVector r14 = lines > 14 ? FloatVector.fromArray(S, src, from + 14 * ld).mul(scale) : zero;
        FloatVector r15 = lines > 15 ? FloatVector.fromArray(S, src, from + 15 * ld).mul(scale) : zero;
        FloatVector a0 = V > 8 ? r0.blend(r8.rearrange(RIGHT_8), BIT_8) : r0;
        FloatVector a1 = V > 8 ? r1.blend(r9.rearrange(RIGHT_8), BIT_8) : r1;
        FloatVector a2 = V > 8 ? r2.blend(r10.rearrange(RIGHT_8), BIT_8) : r2;
        FloatVector a3 = V > 8 ? r3.blend(r11.rearrange(RIGHT_8), BIT_8) : r3;
        FloatVector a4 = V > 8 ? r4.blend(r12.rearrange(RIGHT_8), BIT_8) : r4;
        FloatVector a5 = V > 8 ? r5.blend(r13.rearrange(RIGHT_8), BIT_8) : r5;
        FloatVector a6 = V > 8 ? r6.blend(r14.rearrange(RIGHT_8), BIT_8) : r6;
        FloatVector a7 = V > 8 ? r7.blend(r15.rearrange(RIGHT_8), BIT_8) : r7;
        FloatVector a8 = V > 8 ? r0.rearrange(LEFT_8).blend(r8, BIT_8) : r8;
        FloatVector a9 = V > 8 ? r1.rearrange(LEFT_8).blend(r9, BIT_8) : r9;
        FloatVector a10 = V > 8 ? r2.rearrange(LEFT_8).blend(r10, BIT_8) : r10;
        FloatVector a11 = V > 8 ? r3.rearrange(LEFT_8).blend(r11, BIT_8) : r11;
        FloatVector a12 = V > 8 ? r4.rearrange(LEFT_8).blend(r12, BIT_8) : r12;
        FloatVector a13 = V > 8 ? r5.rearrange(LEFT_8).blend(r13, BIT_8) : r13;
        FloatVector a14 = V > 8 ? r6.rearrange(LEFT_8).blend(r14, BIT_8) : r14;
        FloatVector a15 = V > 8 ? r7.rearrange(LEFT_8).blend(r15, BIT_8) : r15;
        FloatVector b0 = V > 4 ? a0.blend(a4.rearrange(RIGHT_4), BIT_4) : a0;
        FloatVector b1 = V > 4 ? a1.blend(a5.rearrange(RIGHT_4), BIT_4) : a1;
        FloatVector b2 = V > 4 ? a2.blend(a6.rearrange(RIGHT_4), BIT_4) : a2;
        FloatVector b3 = V > 4 ? a3.blend(a7.rearrange(RIGHT_4), BIT_4) : a3;
        FloatVector b4 = V > 4 ? a0.rearrange(LEFT_4).blend(a4, BIT_4) : a4;
        FloatVector b5 = V > 4 ? a1.rearrange(LEFT_4).blend(a5, BIT_4) : a5;
        FloatVector b6 = V > 4 ? a2.rearrange(LEFT_4).blend(a6, BIT_4) : a6;
        FloatVector b7 = V > 4 ? a3.rearrange(LEFT_4).blend(a7, BIT_4) : a7;
        FloatVector b8 = V > 4 ? a8.blend(a12.rearrange(RIGHT_4), BIT_4) : a8;
        FloatVector b9 = V > 4 ? a9.blend(a13.rearrange(RIGHT_4), BIT_4) : a9;
        FloatVector b10 = V > 4 ? a10.blend(a14.rearrange(RIGHT_4), BIT_4) : a10;
        FloatVector b11 = V > 4 ? a11.blend(a15.rearrange(RIGHT_4), BIT_4) : a11;
        FloatVector b12 = V > 4 ? a8.rearrange(LEFT_4).blend(a12, BIT_4) : a12;
        FloatVector b13 = V > 4 ? a9.rearrange(LEFT_4).blend(a13, BIT_4) : a13;
        FloatVector b14 = V > 4 ? a10.rearrange(LEFT_4).blend(a14, BIT_4) : a14;
        FloatVector b15 = V > 4 ? a11.rearrange(LEFT_4).blend(a15, BIT_4) : a15;
        FloatVector c0 = b0.blend(b2.rearrange(RIGHT_2), BIT_2);
        FloatVector c1 = b1.blend(b3.rearrange(RIGHT_2), BIT_2);
        FloatVector c2 = b0.rearrange(LEFT_2).blend(b2, BIT_2);
        FloatVector c3 = b1.rearrange(LEFT_2).blend(b3, BIT_2);
        FloatVector c4 = b4.blend(b6.rearrange(RIGHT_2), BIT_2);
        FloatVector c5 = b5.blend(b7.rearrange(RIGHT_2), BIT_2);
        FloatVector c6 = b4.rearrange(LEFT_2).blend(b6, BIT_2);
        FloatVector c7 = b5.rearrange(LEFT_2).blend(b7, BIT_2);
        FloatVector c8 = b8.blend(b10.rearrange(RIGHT_2), BIT_2);
        FloatVector c9 = b9.blend(b11.rearrange(RIGHT_2), BIT_2);
        FloatVector c10 = b8.rearrange(LEFT_2).blend(b10, BIT_2);
        FloatVector c11 = b9.rearrange(LEFT_2).blend(b11, BIT_2);
        FloatVector c12 = b12.blend(b14.rearrange(RIGHT_2), BIT_2);
        FloatVector c13 = b13.blend(b15.rearrange(RIGHT_2), BIT_2);
        FloatVector c14 = b12.rearrange(LEFT_2).blend(b14, BIT_2);
        FloatVector c15 = b13.rearrange(LEFT_2).blend(b15, BIT_2);
        FloatVector d0 = c0.blend(c1.rearrange(RIGHT_1), BIT_1);
        FloatVector d1 = c0.rearrange(LEFT_1).blend(c1, BIT_1);
        FloatVector d2 = c2.blend(c3.rearrange(RIGHT_1), BIT_1);
        FloatVector d3 = c2.rearrange(LEFT_1).blend(c3, BIT_1);
        FloatVector d4 = c4.blend(c5.rearrange(RIGHT_1), BIT_1);
        FloatVector d5 = c4.rearrange(LEFT_1).blend(c5, BIT_1);
        FloatVector d6 = c6.blend(c7.rearrange(RIGHT_1), BIT_1);
        FloatVector d7 = c6.rearrange(LEFT_1).blend(c7, BIT_1);
        FloatVector d8 = c8.blend(c9.rearrange(RIGHT_1), BIT_1);
        FloatVector d9 = c8.rearrange(LEFT_1).blend(c9, BIT_1);
        FloatVector d10 = c10.blend(c11.rearrange(RIGHT_1), BIT_1);
        FloatVector d11 = c10.rearrange(LEFT_1).blend(c11, BIT_1);
        FloatVector d12 = c12.blend(c13.rearrange(RIGHT_1), BIT_1);
        FloatVector d13 = c12.rearrange(LEFT_1).blend(c13, BIT_1);
        FloatVector d14 = c14.blend(c15.rearrange(RIGHT_1), BIT_1);
        FloatVector d15 = c14.rearrange(LEFT_1).blend(c15, BIT_1);
        d0.intoMemorySegment(packed, to + 0 % V * rowBytes + (0 - 0 % V) * Float.BYTES, ORDER);
        d1.intoMemorySegment(packed, to + 1 % V * rowBytes + (1 - 1 % V) * Float.BYTES, ORDER);
        d2.intoMemorySegment(packed, to + 2 % V * rowBytes + (2 - 2 % V) * Float.BYTES, ORDER);
        d3.intoMemorySegment(packed, to + 3 % V * rowBytes + (3 - 3 % V) * Float.BYTES, ORDER);
        d4.intoMemorySegment(packed, to + 4 % V * rowBytes + (4 - 4 % V) * Float.BYTES, ORDER);
        d5.intoMemorySegment(packed, to + 5 % V * rowBytes + (5 - 5 % V) * Float.BYTES, ORDER);
        d6.intoMemorySegment(packed, to + 6 % V * rowBytes + (6 - 6 % V) * Float.BYTES, ORDER);
        d7.intoMemorySegment(packed, to + 7 % V * rowBytes + (7 - 7 % V) * Float.BYTES, ORDER);
        d8.intoMemorySegment(packed, to + 8 % V * rowBytes + (8 - 8 % V) * Float.BYTES, ORDER);
        d9.intoMemorySegment(packed, to + 9 % V * rowBytes + (9 - 9 % V) * Float.BYTES, ORDER);
        d10.intoMemorySegment(packed, to + 10 % V * rowBytes + (10 - 10 % V) * Float.BYTES, ORDER);
        d11.intoMemorySegment(packed, to + 11 % V * rowBytes + (11 - 11 % V) * Float.BYTES, ORDER);
        d12.intoMemorySegment(packed, to + 12 % V * rowBytes + (12 - 12 % V) * Float.BYTES, ORDER);
        d13.intoMemorySegment(packed, to + 13 % V * rowBytes + (13 - 13 % V) * Float.BYTES, ORDER);
        d14.intoMemorySegment(packed, to + 14 % V * rowBytes + (14 - 14 % V) * Float.BYTES, ORDER);
        d15.intoMemorySegment(packed, to + 15 % V * rowBytes + (15 - 15 % V) * Float.BYTES, ORDER);
    }

    /**
     * For packed vector {@code out} of a group of V/2 positions of six lines (position p of line l
     * goes to float 6p + l), the two-source shuffle that takes its lanes from lines {@code line}
     * and {@code line + 1}; its other lanes are left to the blends.
     */
    private static VectorShuffle<Float> sixLineShuffle(int out, int line) {
        return VectorShuffle.fromOp(S, lane -> {
            int packedIndex = V * out + lane;
            int position = packedIndex / 6;
            int from = packedIndex % 6;
            return from == line ? position : from == line + 1 ? V + position : 0;
        });
    }

    /** The lanes of packed vector {@code out} that lines {@code line} and {@code line + 1} fill. */
    private static VectorMask<Float> sixLineMask(int out, int line) {
        return VectorMask.fromLong(S, IntStream.range(0, V).filter(lane -> (V * out + lane) % 6 / 2 == line / 2)
                .mapToLong(lane -> 1L << lane).sum());
    }

    /** Lane i takes lane i − lanes, around. */
    private static VectorShuffle<Float> rotation(int lanes) {
        return VectorShuffle.fromOp(S, i -> Math.floorMod(i - lanes, V));
    }

    /** The lanes whose index has bit {@code b} set. */
    static VectorMask<Float> lanesWithBit(int b) {
        return VectorMask.fromLong(S, IntStream.range(0, V).filter(i -> (i & b) != 0).mapToLong(i -> 1L << i).sum());
    }
}
