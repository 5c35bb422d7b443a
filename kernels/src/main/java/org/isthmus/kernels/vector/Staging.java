package org.isthmus.kernels.vector;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Objects;
import org.isthmus.kernels.Parallelism;
import org.isthmus.kernels.Segments;

/**
 * How the streaming kernels (elementwise, reductions, pooling) see their operands: always as a
 * float[] range. A heap operand is its own array, not copied; a native one is copied, a chunk at
 * a time, into a per-thread buffer ({@link Window}) and outputs copied back. So each kernel is
 * written once, on arrays, where the Vector API's loads and stores are intrinsified, instead of
 * twice (the heap-segment forms box every vector on JDK 25). A chunk of {@value #CHUNK} floats
 * stays in L1 (five windows: 20 KiB of 32), so for native data the copy costs a memcpy from
 * memory that the kernel would have read anyway, plus an L1 pass.
 *
 * <p>Also where work is split for the library pool: only above {@value #MIN_PARALLEL_WORK}
 * elements (below, waking a worker costs more than it saves), and only when every segment may
 * be touched by another thread (not one of a confined arena).
 */
final class Staging {

    /** Floats a window copies at a time for a native operand. */
    static final int CHUNK = 1024;
    /** Elements below which a kernel runs on the calling thread alone. */
    static final long MIN_PARALLEL_WORK = 1 << 16;
    /** Parts per thread, so a thread that starts late takes fewer parts instead of holding up the call. */
    private static final int PARTS_PER_THREAD = 4;
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final int WINDOWS = 6;
    private static final ThreadLocal<Staging> PER_THREAD = ThreadLocal.withInitial(Staging::new);

    private final Window[] windows = new Window[WINDOWS];
    private int[] ints = new int[CHUNK];

    private Staging() {
        for (int i = 0; i < WINDOWS; i++) {
            windows[i] = new Window();
        }
    }

    /** This thread's windows. */
    static Staging current() {
        return PER_THREAD.get();
    }

    Window window(int slot) {
        return windows[slot];
    }

    /** A per-thread int[] of at least length elements (argmax and index outputs are staged here). */
    int[] ints(int length) {
        if (ints.length < length) {
            ints = new int[length];
        }
        return ints;
    }

    /** Copies length ints from a staged int[] to an int32 segment, from element start. */
    static void storeInts(int[] values, MemorySegment target, long start, int length) {
        MemorySegment.copy(values, 0, target, INT, start * Integer.BYTES, length);
    }

    /** Reads length int32 values of a segment, from element start, into a staged int[]. */
    static void loadInts(MemorySegment source, long start, int[] values, int length) {
        MemorySegment.copy(source, INT, start * Integer.BYTES, values, 0, length);
    }

    /**
     * How many floats a kernel may take at once: a whole range when every operand is a heap
     * array (nothing to copy), else one window's worth.
     */
    static int chunk(Operand... operands) {
        for (Operand operand : operands) {
            if (operand != null && !operand.onArray()) {
                return CHUNK;
            }
        }
        return Integer.MAX_VALUE;
    }

    /**
     * Parts to split work of this many elements into: 1 when small, on one thread, or when a
     * segment is confined to its thread; else a few per thread, each at least half the threshold.
     */
    static int parts(long work, MemorySegment... segments) {
        int threads = Parallelism.threads();
        if (threads == 1 || work < MIN_PARALLEL_WORK
                || !Segments.shareable(Arrays.stream(segments).filter(Objects::nonNull).toArray(MemorySegment[]::new))) {
            return 1;
        }
        return (int) Math.max(1, Math.min((long) threads * PARTS_PER_THREAD, work / (MIN_PARALLEL_WORK / 2)));
    }

    /** The first of count items that part p of parts takes (part parts is the end). */
    static long partStart(int part, int parts, long count) {
        return count * part / parts;
    }

    /**
     * A float[] view of part of an operand: {@code array[offset … offset + length)} holds elements
     * {@code [start, start + length)}. For a heap operand, its own array; for a native one, this
     * window's buffer, filled by {@link #read} and written back by {@link #flush}.
     */
    static final class Window {
        float[] array;
        int offset;
        private float[] buffer = new float[CHUNK];
        private MemorySegment pending;
        private long pendingStart;
        private int pendingLength;

        /** Sees elements [start, start + length) of an input. */
        Window read(Operand operand, long start, int length) {
            if (see(operand, start, length)) {
                MemorySegment.copy(operand.segment(), FLOAT, start * Float.BYTES, buffer, 0, length);
            }
            return this;
        }

        /** Sees elements [start, start + length) of an output; call {@link #flush} once it is written. */
        Window write(Operand operand, long start, int length) {
            if (see(operand, start, length)) {
                pending = operand.segment();
                pendingStart = start;
                pendingLength = length;
            }
            return this;
        }

        /** Sees elements of an output that is also read (axpy's y); call {@link #flush} afterwards. */
        Window update(Operand operand, long start, int length) {
            read(operand, start, length);
            return write(operand, start, length);
        }

        /** A zeroed scratch range of at least length floats (an accumulator), unrelated to any operand. */
        Window zeros(int length) {
            ensure(length);
            Arrays.fill(buffer, 0, length, 0f);
            array = buffer;
            offset = 0;
            return this;
        }

        /** The first element seen: a broadcast operand's single value. */
        float value() {
            return array[offset];
        }

        /** Copies a staged output back to its segment; nothing for a heap operand. */
        void flush() {
            if (pending != null) {
                MemorySegment.copy(buffer, 0, pending, FLOAT, pendingStart * Float.BYTES, pendingLength);
                pending = null;
            }
        }

        /** Points at the operand's array, or at the buffer: true when the buffer is used. */
        private boolean see(Operand operand, long start, int length) {
            if (operand.onArray()) {
                array = operand.array();
                offset = operand.base() + (int) start;
                return false;
            }
            ensure(length);
            array = buffer;
            offset = 0;
            return true;
        }

        private void ensure(int length) {
            if (buffer.length < length) {
                buffer = new float[length];
            }
        }
    }
}
