package org.isthmus.ffi.cublas;

import org.isthmus.ffi.cublas.bindings.cuda_h;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * Float32 memory on the GPU, for work that keeps its data there across calls
 * ({@link CublasBackend#sgemmOnDevice}). Copies in and out are synchronous. Not thread-safe; close
 * it (try-with-resources) to free the memory.
 */
public final class DeviceBuffer implements AutoCloseable {

    private final long floats;
    private MemorySegment address;

    DeviceBuffer(long floats) {
        this.floats = floats;
        this.address = Cuda.allocate(Math.max(1, floats) * Float.BYTES, false);
    }

    /** Its length in floats. */
    public long floats() {
        return floats;
    }

    /** Copies {@code count} floats from {@code host} (heap or native) at {@code hostOffset} to this buffer at {@code offset}. */
    public void upload(MemorySegment host, long hostOffset, long offset, long count) {
        transfer(host, hostOffset, offset, count, true);
    }

    /** Copies {@code count} floats of this buffer from {@code offset} to {@code host} at {@code hostOffset}. */
    public void download(long offset, MemorySegment host, long hostOffset, long count) {
        transfer(host, hostOffset, offset, count, false);
    }

    /** The device address of element {@code offset}, after checking that {@code count} elements fit. */
    MemorySegment at(long offset, long count, String what) {
        Objects.checkFromIndexSize(offset, count, floats);
        if (address == null) {
            throw new IllegalStateException(what + ": the device buffer is closed");
        }
        return address.asSlice(offset * Float.BYTES, count * Float.BYTES);
    }

    private void transfer(MemorySegment host, long hostOffset, long offset, long count, boolean toDevice) {
        MemorySegment device = at(offset, count, toDevice ? "upload" : "download");
        MemorySegment hostRange = host.asSlice(hostOffset * Float.BYTES, count * Float.BYTES);
        if (!toDevice && hostRange.isReadOnly()) {
            throw new IllegalArgumentException("download into a read-only segment");
        }
        Cuda.PerThread gpu = Cuda.perThread();
        long bytes = count * Float.BYTES;
        if (hostRange.isNative()) {
            gpu.copy(toDevice ? device : hostRange, toDevice ? hostRange : device, bytes, toDevice);
            gpu.synchronize();
            return;
        }
        MemorySegment staged = gpu.pinned(Cuda.Slot.C, bytes);
        if (toDevice) {
            MemorySegment.copy(hostRange, 0, staged, 0, bytes);
            gpu.copy(device, staged, bytes, true);
            gpu.synchronize();
        } else {
            gpu.copy(staged, device, bytes, false);
            gpu.synchronize();
            MemorySegment.copy(staged, 0, hostRange, 0, bytes);
        }
    }

    @Override
    public void close() {
        if (address != null) {
            Cuda.check(cuda_h.cudaFree(address), "cudaFree");
            address = null;
        }
    }
}
