package org.isthmus.kernels.vector;

import java.lang.foreign.MemorySegment;
import org.isthmus.kernels.*;

final class VectorElementwise implements ElementwiseKernels {

    @Override
    public void binary(BinaryOp op, MemorySegment a, MemorySegment b, Broadcast bShape, MemorySegment y,
                int rows, int cols) {
        throw new UnsupportedOperationException("SKELETON: VectorElementwise.binary");
    }

    @Override
    public void binaryBackward(BinaryOp op, MemorySegment a, MemorySegment b, Broadcast bShape, MemorySegment dy,
                        MemorySegment dA, MemorySegment dB, int rows, int cols) {
        throw new UnsupportedOperationException("SKELETON: VectorElementwise.binaryBackward");
    }

    @Override
    public void unary(UnaryOp f, MemorySegment x, MemorySegment y, int n) {
        throw new UnsupportedOperationException("SKELETON: VectorElementwise.unary");
    }

    @Override
    public void unaryBackward(UnaryOp f, MemorySegment x, MemorySegment y, MemorySegment dy, MemorySegment dx, int n) {
        throw new UnsupportedOperationException("SKELETON: VectorElementwise.unaryBackward");
    }

    @Override
    public void axpy(int n, float alpha, MemorySegment x, MemorySegment y) {
        throw new UnsupportedOperationException("SKELETON: VectorElementwise.axpy");
    }

    @Override
    public void dropout(MemorySegment x, MemorySegment y, MemorySegment mask, int n, float p, long seed) {
        throw new UnsupportedOperationException("SKELETON: VectorElementwise.dropout");
    }
}
