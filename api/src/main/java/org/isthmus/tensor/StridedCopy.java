package org.isthmus.tensor;

/** Element-by-element copies and fills between tensors of any strides (including the 0 strides of expand). */
final class StridedCopy {

    private StridedCopy() {
    }

    /** dst[i] = src[i] for every index of their common shape. */
    static void copy(Tensor src, Tensor dst) {
        long n = dst.numel();
        if (n == 0) {
            return;
        }
        Storage from = src.storage();
        Storage to = dst.storage();
        if (src.isContiguous() && dst.isContiguous()) {
            if (from.isHeap() && to.isHeap()) {
                System.arraycopy(from.array(), (int) src.offset(), to.array(), (int) dst.offset(), (int) n);
            } else {
                java.lang.foreign.MemorySegment.copy(src.segment(), 0, dst.segment(), 0, n * Float.BYTES);
            }
            return;
        }
        int[] shape = dst.shape();
        int[] srcStrides = src.strides();
        int[] dstStrides = dst.strides();
        int rank = shape.length;
        int inner = shape[rank - 1];
        int srcInner = srcStrides[rank - 1];
        int dstInner = dstStrides[rank - 1];
        int[] index = new int[rank];
        long srcBase = src.offset();
        long dstBase = dst.offset();
        float[] fromArray = from.array();
        float[] toArray = to.array();
        boolean heap = fromArray != null && toArray != null;
        for (long done = 0; done < n; done += inner) {
            if (heap) {
                int s = (int) srcBase;
                int d = (int) dstBase;
                for (int i = 0; i < inner; i++) {
                    toArray[d + i * dstInner] = fromArray[s + i * srcInner];
                }
            } else {
                for (int i = 0; i < inner; i++) {
                    to.set(dstBase + (long) i * dstInner, from.get(srcBase + (long) i * srcInner));
                }
            }
            for (int d = rank - 2; d >= 0; d--) {
                index[d]++;
                srcBase += srcStrides[d];
                dstBase += dstStrides[d];
                if (index[d] < shape[d]) {
                    break;
                }
                srcBase -= (long) srcStrides[d] * shape[d];
                dstBase -= (long) dstStrides[d] * shape[d];
                index[d] = 0;
            }
        }
    }

    /** Every element of dst set to value. */
    static void fill(Tensor dst, float value) {
        if (dst.isContiguous() && dst.storage().isHeap()) {
            int from = (int) dst.offset();
            java.util.Arrays.fill(dst.storage().array(), from, from + (int) dst.numel(), value);
            return;
        }
        copy(Tensor.scalar(value).expand(dst.shape()), dst);
    }
}
