package org.isthmus.kernels.scalar;

import java.lang.foreign.MemorySegment;
import org.isthmus.kernels.*;

final class ScalarElementwise implements ElementwiseKernels {

    @Override
    public void binary(BinaryOp op, MemorySegment a, MemorySegment b, Broadcast bShape, MemorySegment y,
                int rows, int cols) {
        throw new UnsupportedOperationException("SKELETON: ScalarElementwise.binary");
    }

    @Override
    public void binaryBackward(BinaryOp op, MemorySegment a, MemorySegment b, Broadcast bShape, MemorySegment dy,
                        MemorySegment dA, MemorySegment dB, int rows, int cols) {
        throw new UnsupportedOperationException("SKELETON: ScalarElementwise.binaryBackward");
    }

    @Override
    public void unary(UnaryOp f, MemorySegment x, MemorySegment y, int n) {
        throw new UnsupportedOperationException("SKELETON: ScalarElementwise.unary");
    }

    @Override
    public void unaryBackward(UnaryOp f, MemorySegment x, MemorySegment y, MemorySegment dy, MemorySegment dx, int n) {
        throw new UnsupportedOperationException("SKELETON: ScalarElementwise.unaryBackward");
    }

    @Override
    public void axpy(int n, float alpha, MemorySegment x, MemorySegment y) {
        throw new UnsupportedOperationException("SKELETON: ScalarElementwise.axpy");
    }

    @Override
    public void dropout(MemorySegment x, MemorySegment y, MemorySegment mask, int n, float p, long seed) {
        throw new UnsupportedOperationException("SKELETON: ScalarElementwise.dropout");
    }
}
