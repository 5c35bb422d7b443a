package org.isthmus.kernels;

import java.lang.foreign.MemorySegment;

/** Checks that a float32 matrix described by (segment, offset, leading dimension) fits its segment. */
public final class Segments {

    private Segments() {
    }

    /** Bytes in one float32 element. */
    public static final long FLOAT_BYTES = Float.BYTES;

    /** A thread that never runs: a segment it may access is not confined to one thread. */
    private static final Thread ANY_OTHER_THREAD = Thread.ofVirtual().unstarted(() -> { });

    /**
     * Whether worker threads may touch these segments: false when one of them belongs to a
     * confined arena, whose memory only its owner thread may access.
     */
    public static boolean shareable(MemorySegment... segments) {
        for (MemorySegment segment : segments) {
            if (!segment.isAccessibleBy(ANY_OTHER_THREAD)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Validates a row-major {@code rows × cols} matrix starting at element {@code offset} with rows
     * {@code ld} elements apart.
     *
     * @param accessed whether the kernel will touch the matrix; only then must it fit its segment
     * @param context  the call's shape, quoted in the message
     */
    public static void checkMatrix(String name, MemorySegment segment, long offset, int ld,
                                   int rows, int cols, boolean accessed, String context) {
        if (segment == null) {
            throw new IllegalArgumentException(name + " is null: " + context);
        }
        if (ld < Math.max(1, cols)) {
            throw new IllegalArgumentException("ld" + name + "=" + ld + " is smaller than the row length "
                    + Math.max(1, cols) + " of " + name + " (" + rows + "x" + cols + "): " + context);
        }
        if (offset < 0) {
            throw new IllegalArgumentException(name + "Offset=" + offset + " is negative: " + context);
        }
        if (!accessed || rows == 0 || cols == 0) {
            return;
        }
        long lastElement = offset + (long) (rows - 1) * ld + cols - 1;
        long available = segment.byteSize() / FLOAT_BYTES;
        if (lastElement >= available) {
            throw new IllegalArgumentException(name + " (" + rows + "x" + cols + ", ld" + name + "=" + ld
                    + ", offset " + offset + ") needs " + (lastElement + 1) + " floats but its segment holds "
                    + available + ": " + context);
        }
    }
}
