package org.isthmus.ffi.onednn;

import org.isthmus.ffi.onednn.bindings.dnnl_h;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A oneDNN primitive with its primitive descriptor. The memory descriptors queried from it are
 * owned by the descriptor and live as long as this object. Both native objects are destroyed by a
 * cleaner once no Java code holds this object, so a primitive evicted from {@link PrimitiveCache}
 * while another thread still executes it stays alive until that thread is done.
 */
final class Primitive {

    final MemorySegment descriptor;
    final MemorySegment handle;
    /** Memory descriptors created for this primitive's arguments, destroyed with it. */
    private final List<MemorySegment> ownedDescriptors = new CopyOnWriteArrayList<>();

    /** Creates the primitive from a freshly created descriptor, taking ownership of it. */
    Primitive(MemorySegment descriptor) {
        this.descriptor = descriptor;
        MemorySegment created;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment slot = arena.allocate(ValueLayout.ADDRESS);
            int status = dnnl_h.dnnl_primitive_create(slot, descriptor);
            if (status != dnnl_h.dnnl_success()) {
                dnnl_h.dnnl_primitive_desc_destroy(descriptor);
                OneDnn.check(status, "dnnl_primitive_create");
            }
            created = slot.get(ValueLayout.ADDRESS, 0);
        }
        this.handle = created;
        MemorySegment primitive = created;
        List<MemorySegment> owned = ownedDescriptors;
        OneDnn.CLEANER.register(this, () -> {
            owned.forEach(dnnl_h::dnnl_memory_desc_destroy);
            dnnl_h.dnnl_primitive_destroy(primitive);
            dnnl_h.dnnl_primitive_desc_destroy(descriptor);
        });
    }

    /** Reads the primitive descriptor created into {@code slot} by a {@code *_primitive_desc_create} call. */
    static Primitive created(MemorySegment slot, int status, String function) {
        OneDnn.check(status, function);
        return new Primitive(slot.get(ValueLayout.ADDRESS, 0));
    }

    /** The memory descriptor the primitive uses for {@code query} (e.g. dnnl_query_weights_md). */
    MemorySegment md(int query) {
        return md(query, 0);
    }

    /** The {@code index}-th memory descriptor of that kind (index 1 of weights_md is the bias). */
    MemorySegment md(int query, int index) {
        return dnnl_h.dnnl_primitive_desc_query_md(descriptor, query, index);
    }

    /** A plain memory descriptor that lives as long as this primitive (for arguments it has no query for). */
    MemorySegment ownPlain(int tag, long... dims) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment md = OneDnn.memoryDesc(arena, tag, dims);
            ownedDescriptors.add(md);
            return md;
        }
    }

    /** The implementation oneDNN chose, e.g. "brg_conv_fwd:avx2" or "ref:any". */
    String implementation() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment slot = arena.allocate(ValueLayout.ADDRESS);
            OneDnn.check(dnnl_h.dnnl_primitive_desc_query(descriptor, dnnl_h.dnnl_query_impl_info_str(), 0, slot),
                    "dnnl_primitive_desc_query(impl_info_str)");
            return slot.get(ValueLayout.ADDRESS, 0).reinterpret(256).getString(0);
        }
    }

    static boolean sameLayout(MemorySegment md1, MemorySegment md2) {
        return dnnl_h.dnnl_memory_desc_equal(md1, md2) != 0;
    }
}
