package org.isthmus.kernels;

import java.lang.foreign.MemorySegment;

/**
 * A backend's elementwise operations, called by {@link CheckedBackend} with validated arguments
 * and sizes ≥ 1; each method is the {@link Backend} method of the same name.
 */
public interface ElementwiseKernels {

    void binary(BinaryOp op, MemorySegment a, MemorySegment b, Broadcast bShape, MemorySegment y,
                int rows, int cols);

    void binaryBackward(BinaryOp op, MemorySegment a, MemorySegment b, Broadcast bShape, MemorySegment dy,
                        MemorySegment dA, MemorySegment dB, int rows, int cols);

    void unary(UnaryOp f, MemorySegment x, MemorySegment y, int n);

    void unaryBackward(UnaryOp f, MemorySegment x, MemorySegment y, MemorySegment dy, MemorySegment dx, int n);

    void axpy(int n, float alpha, MemorySegment x, MemorySegment y);

    void dropout(MemorySegment x, MemorySegment y, MemorySegment mask, int n, float p, long seed);

    void adamUpdate(int n, AdamCoefficients c, MemorySegment p, MemorySegment g, MemorySegment m, MemorySegment v);
}
