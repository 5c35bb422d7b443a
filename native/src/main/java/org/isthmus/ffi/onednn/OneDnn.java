package org.isthmus.ffi.onednn;

import org.isthmus.ffi.onednn.bindings.dnnl_exec_arg_t;
import org.isthmus.ffi.onednn.bindings.dnnl_h;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Cleaner;
import java.util.ArrayList;
import java.util.List;

/**
 * The oneDNN runtime the primitives share: the CPU engine, one stream per thread, status checks,
 * memory descriptors, and the per-thread native scratch that heap data is staged through (a oneDNN
 * memory object keeps its pointer, which a heap array cannot give outside a single critical call).
 */
final class OneDnn {

    static final Cleaner CLEANER = Cleaner.create();
    static final int F32 = dnnl_h.dnnl_f32();
    /** Native scratch is handed out in multiples of this, aligned to it: a cache line, as oneDNN prefers. */
    private static final long ALIGNMENT = 64;

    private static final MemorySegment ENGINE = createEngine();
    private static final ThreadLocal<PerThread> PER_THREAD = ThreadLocal.withInitial(PerThread::new);

    private OneDnn() {
    }

    static MemorySegment engine() {
        return ENGINE;
    }

    /** Throws {@link OneDnnException} naming the function when {@code status} is not {@code dnnl_success}. */
    static void check(int status, String function) {
        if (status != dnnl_h.dnnl_success()) {
            throw new OneDnnException(function, status, meaning(status));
        }
    }

    /** oneDNN's own name for the status and what it means. */
    static String meaning(int status) {
        String name = dnnl_h.dnnl_status2str(status).reinterpret(64).getString(0);
        String text = switch (status) {
            case 1 -> "the library could not allocate memory";
            case 2 -> "an argument is invalid";
            case 3 -> "no implementation exists for these arguments";
            case 4 -> "the last implementation was reached while iterating";
            case 5 -> "a primitive failed while running";
            case 6 -> "the queried information is not required";
            default -> "see dnnl_status_t";
        };
        return name + ": " + text;
    }

    private static MemorySegment createEngine() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment handle = arena.allocate(ValueLayout.ADDRESS);
            check(dnnl_h.dnnl_engine_create(handle, dnnl_h.dnnl_cpu(), 0), "dnnl_engine_create");
            // Lives as long as the JVM: every primitive is bound to it.
            return handle.get(ValueLayout.ADDRESS, 0);
        }
    }

    /** A dense float32 memory descriptor with the given dimensions and format tag; the caller destroys it. */
    static MemorySegment memoryDesc(Arena arena, int tag, long... dims) {
        MemorySegment handle = arena.allocate(ValueLayout.ADDRESS);
        MemorySegment dimArray = arena.allocate(ValueLayout.JAVA_LONG, 12);
        MemorySegment.copy(dims, 0, dimArray, ValueLayout.JAVA_LONG, 0, dims.length);
        check(dnnl_h.dnnl_memory_desc_create_with_tag(handle, dims.length, dimArray, F32, tag),
                "dnnl_memory_desc_create_with_tag");
        return handle.get(ValueLayout.ADDRESS, 0);
    }

    /** The descriptors a primitive descriptor is created from, destroyed together once it exists. */
    static final class Descriptors implements AutoCloseable {
        private final Arena arena = Arena.ofConfined();
        private final List<MemorySegment> created = new ArrayList<>();

        Descriptors() {
            // Some primitives fix their thread count when created, from the creating thread's.
            OpenMp.useConfiguredThreads();
        }

        MemorySegment plain(int tag, long... dims) {
            MemorySegment md = memoryDesc(arena, tag, dims);
            created.add(md);
            return md;
        }

        MemorySegment any(long... dims) {
            return plain(dnnl_h.dnnl_format_tag_any(), dims);
        }

        MemorySegment dims(long... values) {
            MemorySegment array = arena.allocate(ValueLayout.JAVA_LONG, 12);
            MemorySegment.copy(values, 0, array, ValueLayout.JAVA_LONG, 0, values.length);
            return array;
        }

        /** An out-parameter for a primitive descriptor. */
        MemorySegment handleSlot() {
            return arena.allocate(ValueLayout.ADDRESS);
        }

        @Override
        public void close() {
            for (MemorySegment md : created) {
                dnnl_h.dnnl_memory_desc_destroy(md);
            }
            arena.close();
        }
    }

    /**
     * The attribute every primitive is created with: none, so oneDNN manages the scratchpad itself
     * (library mode). Its library-mode scratchpad is per thread (thread-local in oneDNN), so Java
     * threads executing primitives at once never share one; measured against a user-provided
     * scratchpad here, the gemm-based convolution ran ~15% faster (bench/NOTES.md, "oneDNN").
     */
    static final MemorySegment DEFAULT_ATTRIBUTES = MemorySegment.NULL;

    /** This thread's stream (oneDNN streams are not for concurrent use) and staging buffers. */
    static PerThread perThread() {
        return PER_THREAD.get();
    }

    /** One thread's stream and its growing native buffers, one per staging slot. */
    static final class PerThread {
        final MemorySegment stream;
        private final MemorySegment[] slots = new MemorySegment[Slot.values().length];

        PerThread() {
            OpenMp.useConfiguredThreads();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment handle = arena.allocate(ValueLayout.ADDRESS);
                check(dnnl_h.dnnl_stream_create(handle, ENGINE, dnnl_h.dnnl_stream_default_flags()),
                        "dnnl_stream_create");
                stream = handle.get(ValueLayout.ADDRESS, 0);
            }
            MemorySegment streamToDestroy = stream;
            CLEANER.register(this, () -> dnnl_h.dnnl_stream_destroy(streamToDestroy));
        }

        /** At least {@code bytes} of native memory for this slot, reused across calls on this thread. */
        MemorySegment buffer(Slot slot, long bytes) {
            MemorySegment current = slots[slot.ordinal()];
            if (current == null || current.byteSize() < bytes) {
                long size = Math.max(bytes, current == null ? ALIGNMENT : current.byteSize() * 2);
                size = (size + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
                // Arena.ofAuto: the buffer is freed by the GC once this thread and its slots are gone.
                current = Arena.ofAuto().allocate(size, ALIGNMENT);
                slots[slot.ordinal()] = current;
            }
            return current.asSlice(0, Math.max(bytes, 1));
        }
    }

    /** The staging buffers a single primitive execution may need at once. */
    enum Slot { SOURCE, WEIGHTS, DESTINATION, EXTRA_1, EXTRA_2, EXTRA_3, EXTRA_4, REORDERED }

    /**
     * One primitive execution: binds memory objects to argument indices over native pointers, runs
     * the primitive on this thread's stream, copies staged outputs back to their heap segments.
     */
    static final class Execution implements AutoCloseable {
        private final Arena arena = Arena.ofConfined();
        private final PerThread thread = perThread();
        private final List<MemorySegment> memories = new ArrayList<>();
        private final List<Integer> argumentIds = new ArrayList<>();
        private final List<MemorySegment[]> copyBacks = new ArrayList<>();

        /** Native data for an input: the segment itself when native, else a staged copy. */
        MemorySegment input(Slot slot, MemorySegment segment, long floats) {
            long bytes = floats * Float.BYTES;
            if (segment.isNative()) {
                return segment.asSlice(0, bytes);
            }
            MemorySegment staged = thread.buffer(slot, bytes);
            MemorySegment.copy(segment, 0, staged, 0, bytes);
            return staged;
        }

        /** Native data for an output: the segment itself when native, else a buffer copied back by {@link #run}. */
        MemorySegment output(Slot slot, MemorySegment segment, long floats) {
            long bytes = floats * Float.BYTES;
            if (segment.isNative()) {
                return segment.asSlice(0, bytes);
            }
            MemorySegment staged = thread.buffer(slot, bytes);
            copyBacks.add(new MemorySegment[] {staged.asSlice(0, bytes), segment});
            return staged;
        }

        /** Native scratch that is neither input nor output of the caller. */
        MemorySegment scratch(Slot slot, long bytes) {
            return thread.buffer(slot, bytes);
        }

        /** Binds {@code data} (native) to argument {@code argumentId} with layout {@code md}. */
        Execution bind(int argumentId, MemorySegment md, MemorySegment data) {
            MemorySegment handle = arena.allocate(ValueLayout.ADDRESS);
            check(dnnl_h.dnnl_memory_create(handle, md, ENGINE, data), "dnnl_memory_create");
            memories.add(handle.get(ValueLayout.ADDRESS, 0));
            argumentIds.add(argumentId);
            return this;
        }

        /**
         * Executes the primitive with the bound arguments, asynchronous signals blocked on this
         * thread ({@link AsyncSignals} says why), then copies staged outputs back.
         */
        void run(Primitive primitive, String what) {
            int count = memories.size();
            MemorySegment args = arena.allocate(dnnl_exec_arg_t.layout(), count);
            for (int i = 0; i < count; i++) {
                MemorySegment arg = dnnl_exec_arg_t.asSlice(args, i);
                dnnl_exec_arg_t.arg(arg, argumentIds.get(i));
                dnnl_exec_arg_t.memory(arg, memories.get(i));
            }
            int status;
            MemorySegment savedMask = AsyncSignals.block();
            try {
                status = dnnl_h.dnnl_primitive_execute(primitive.handle, thread.stream, count, args);
            } finally {
                AsyncSignals.restore(savedMask);
            }
            check(status, "dnnl_primitive_execute(" + what + ")");
            for (MemorySegment[] copy : copyBacks) {
                MemorySegment.copy(copy[0], 0, copy[1], 0, copy[0].byteSize());
            }
            copyBacks.clear();
        }

        /** Frees the memory objects (not the data: that belongs to the caller or the thread's scratch). */
        @Override
        public void close() {
            for (MemorySegment memory : memories) {
                dnnl_h.dnnl_memory_destroy(memory);
            }
            arena.close();
        }
    }
}
