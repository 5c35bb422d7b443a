package org.isthmus.kernels.vector;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import org.isthmus.kernels.Parallelism;
import org.isthmus.kernels.Segments;

/**
 * What the row-wise kernels (softmax family, layer and batch normalization) share: splitting
 * rows into parts for the library pool, and float[] scratch in which rows of native segments
 * are staged.
 *
 * <p>Why staging: the kernels are written once, on float[] with offsets. Heap operands are read
 * through their backing array (vector access to heap segments is boxed on JDK 25); a row of a
 * native segment is copied into scratch, processed there and copied back. A row these kernels
 * see stays in L1 or L2 while it is processed, so the copies add cache traffic, not memory
 * traffic: a native call reads and writes memory as often as a heap one, and no kernel exists
 * twice. (Loops that read native rows in place, through segment vector access beside the array
 * access, were tried: softmax got no faster, and once a JVM had seen native operands its heap calls
 * ran at half speed; bench/NOTES.md, "Session 19".)
 */
final class RowWork {

    /** Below about this many elements per part a second thread costs more than it saves. */
    static final long PART_ELEMENTS = 1 << 16;
    /** Several parts per thread, so that a thread that starts late takes fewer of them. */
    private static final int PARTS_PER_THREAD = 4;

    private static final ThreadLocal<Buffer> PART_SCRATCH = ThreadLocal.withInitial(Buffer::new);
    private static final ThreadLocal<Buffer> CALL_SCRATCH = ThreadLocal.withInitial(Buffer::new);
    private static final ThreadLocal<DoubleBuffer> CALL_DOUBLES = ThreadLocal.withInitial(DoubleBuffer::new);

    private RowWork() {
    }

    /** Rows [from, to) of a call, processed as part {@code part} of {@link #parts}. */
    @FunctionalInterface
    interface RowRange {
        void run(int part, int from, int to);
    }

    /**
     * How many parts {@code rows} rows of {@code rowLength} elements split into: one when the work
     * is small, when there is one thread, or when a segment is confined to the calling thread.
     */
    static int parts(int rows, long rowLength, MemorySegment... touched) {
        long byWork = (long) rows * rowLength / PART_ELEMENTS;
        int threads = Parallelism.threads();
        if (byWork < 2 || threads == 1 || !shareable(touched)) {
            return 1;
        }
        return (int) Math.min(rows, Math.min(byWork, (long) PARTS_PER_THREAD * threads));
    }

    /** Runs body over [0, rows) cut into {@code parts} near-equal ranges, on the library pool. */
    static void run(int parts, int rows, RowRange body) {
        if (parts == 1) {
            body.run(0, 0, rows);
            return;
        }
        Parallelism.run(parts, p -> body.run(p, (int) ((long) rows * p / parts), (int) ((long) rows * (p + 1) / parts)));
    }

    /**
     * Runs body over [0, rows) cut into exactly {@code parts} ranges, whatever the thread count (a
     * partition that fixes an order of summation): on the pool when the segments may be shared,
     * else one after another on the calling thread.
     */
    static void runEach(int parts, int rows, RowRange body, MemorySegment... touched) {
        if (shareable(touched)) {
            run(parts, rows, body);
            return;
        }
        for (int p = 0; p < parts; p++) {
            body.run(p, (int) ((long) rows * p / parts), (int) ((long) rows * (p + 1) / parts));
        }
    }

    /** {@link #run} with {@link #parts}. */
    static void forRows(int rows, long rowLength, RowRange body, MemorySegment... touched) {
        run(parts(rows, rowLength, touched), rows, body);
    }

    /** This thread's scratch for one part, at least {@code floats} long; contents undefined. */
    static float[] partScratch(int floats) {
        return PART_SCRATCH.get().atLeast(floats);
    }

    /** The calling thread's scratch shared by every part of one call (partial sums), zeroed. */
    static float[] callScratch(int floats) {
        float[] scratch = CALL_SCRATCH.get().atLeast(floats);
        Arrays.fill(scratch, 0, floats, 0f);
        return scratch;
    }

    /** {@link #callScratch} in double: totals that every part of a call adds into its own slice of. */
    static double[] callDoubles(int doubles) {
        double[] scratch = CALL_DOUBLES.get().atLeast(doubles);
        Arrays.fill(scratch, 0, doubles, 0);
        return scratch;
    }

    /** Where an operand's elements are read or written: its own array, or scratch. */
    static float[] arrayOf(Operand operand, float[] scratch) {
        return operand != null && operand.onArray() ? operand.array() : scratch;
    }

    /**
     * The offset in {@link #arrayOf} of element {@code index} of a {@code length}-element row:
     * in place for an array, else the row is copied into scratch slot {@code slot}.
     */
    static int stageIn(Operand operand, long index, int length, float[] scratch, int slot) {
        if (operand.onArray()) {
            return operand.base() + (int) index;
        }
        MemorySegment.copy(operand.segment(), ValueLayout.JAVA_FLOAT, index * Float.BYTES, scratch, slot * length,
                length);
        return slot * length;
    }

    /**
     * The offset of row r + 1 of a part that ends before row {@code to}, for a loop that reads it
     * while it works on row r: in place, or staged in scratch slot {@code slot}. The part's last row
     * gets {@code current}, its own offset (read again, from cache), so that one loop serves every row.
     */
    static int nextRow(Operand operand, int r, int to, int length, float[] scratch, int slot, int current) {
        return r + 1 == to ? current : stageIn(operand, (long) (r + 1) * length, length, scratch, slot);
    }

    /** Like {@link #stageIn} for an output row: nothing is copied in. */
    static int outputOffset(Operand operand, long index, int length, int slot) {
        return operand.onArray() ? operand.base() + (int) index : slot * length;
    }

    /** Copies an output row staged in scratch slot {@code slot} back to its native segment. */
    static void stageOut(Operand operand, long index, int length, float[] scratch, int slot) {
        if (!operand.onArray()) {
            MemorySegment.copy(scratch, slot * length, operand.segment(), ValueLayout.JAVA_FLOAT,
                    index * Float.BYTES, length);
        }
    }

    /**
     * A per-column parameter (gamma, beta) for the loops: the operand in place or staged, or,
     * when it is null, scratch slot {@code slot} filled with {@code absent} (1 for a scale, 0 for
     * a shift), so that one loop serves every affine case.
     */
    static int parameter(Operand operand, int length, float[] scratch, int slot, float absent) {
        if (operand == null) {
            Arrays.fill(scratch, slot * length, (slot + 1) * length, absent);
            return slot * length;
        }
        return stageIn(operand, 0, length, scratch, slot);
    }

    /** Operand.of, or null for an absent optional argument. */
    static Operand optional(MemorySegment segment) {
        return segment == null ? null : Operand.of(segment);
    }

    /** Two floats in one long, so that a row loop returns both without an object. */
    static long pack(float high, float low) {
        return (long) Float.floatToRawIntBits(high) << 32 | Float.floatToRawIntBits(low) & 0xFFFF_FFFFL;
    }

    static float high(long packed) {
        return Float.intBitsToFloat((int) (packed >>> 32));
    }

    static float low(long packed) {
        return Float.intBitsToFloat((int) packed);
    }

    private static boolean shareable(MemorySegment... segments) {
        for (MemorySegment segment : segments) {
            if (segment != null && !Segments.shareable(segment)) {
                return false;
            }
        }
        return true;
    }

    /** A grow-only float[]. */
    private static final class Buffer {
        private float[] floats = new float[0];

        float[] atLeast(int length) {
            if (floats.length < length) {
                floats = new float[length];
            }
            return floats;
        }
    }

    /** A grow-only double[]. */
    private static final class DoubleBuffer {
        private double[] doubles = new double[0];

        double[] atLeast(int length) {
            if (doubles.length < length) {
                doubles = new double[length];
            }
            return doubles;
        }
    }
}
