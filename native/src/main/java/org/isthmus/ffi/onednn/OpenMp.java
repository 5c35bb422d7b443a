package org.isthmus.ffi.onednn;

import org.isthmus.kernels.Parallelism;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.Optional;

/**
 * How many OpenMP threads oneDNN runs. oneDNN sizes its parallel regions by the calling thread's
 * {@code nthreads} ICV, which OpenMP keeps per calling thread (libgomp gives a thread that is not
 * an OpenMP thread its own copy on the first {@code omp_set_num_threads}), and some primitives fix
 * their work split when created. So every Java thread sets it before its first oneDNN call of any
 * kind ({@link #useConfiguredThreads()}: sgemm, primitive creation, execution).
 *
 * <p>The count, in decreasing precedence: {@code -Disthmus.threads} when given, so oneDNN uses the
 * threads the vector kernels use; else {@code OMP_NUM_THREADS} when set, which OpenMP has read
 * already and is left alone (a user who tunes OpenMP keeps their setting); else
 * {@link Parallelism#threads()} (every core Java sees, which under a CPU quota can be fewer than
 * OpenMP's default of every core in the affinity mask).
 *
 * <p>The runtime is the one libdnnl is linked against (libgomp in the bytedeco build, libiomp5 in
 * Intel's): {@code omp_set_num_threads} is looked up through the libraries this class loader loaded,
 * libdnnl and, by the dynamic linker's rules, its dependencies; never by name, which could load an
 * OpenMP that libdnnl does not use. A libdnnl without OpenMP (TBB or sequential builds) has none, and
 * {@link #describe()} says so. This class is first used once {@link OneDnnLibrary} has loaded libdnnl.
 */
final class OpenMp {

    /** omp_set_num_threads, or null when libdnnl has no OpenMP runtime. */
    private static final MethodHandle SET_NUM_THREADS;
    /** The runtime's file, for the description. */
    private static final String RUNTIME;
    /** The count applied to every calling thread, or 0 when OpenMP's own setting stands. */
    private static final int APPLIED_COUNT;
    private static final String DESCRIPTION;

    /** Set on first use in each (platform) thread: applying the count costs one downcall per thread. */
    private static final ThreadLocal<Boolean> APPLIED = ThreadLocal.withInitial(() -> {
        setNumThreads();
        return Boolean.TRUE;
    });

    static {
        Optional<MemorySegment> address = SymbolLookup.loaderLookup().find("omp_set_num_threads");
        SET_NUM_THREADS = address.map(function -> Linker.nativeLinker().downcallHandle(function,
                FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT), Linker.Option.critical(false))).orElse(null);
        RUNTIME = address.map(OpenMp::fileDefining).orElse(null);
        String explicit = System.getProperty("isthmus.threads");
        String environment = System.getenv("OMP_NUM_THREADS");
        boolean explicitlyGiven = explicit != null && !explicit.isBlank();
        if (SET_NUM_THREADS == null) {
            APPLIED_COUNT = 0;
            DESCRIPTION = "no OpenMP runtime among libdnnl's libraries (no omp_set_num_threads), threads as it was built";
        } else if (!explicitlyGiven && environment != null && !environment.isBlank()) {
            APPLIED_COUNT = 0;
            DESCRIPTION = "OpenMP (" + RUNTIME + ") on OMP_NUM_THREADS=" + environment.trim() + " thread(s)";
        } else {
            APPLIED_COUNT = Parallelism.threads();
            DESCRIPTION = "OpenMP (" + RUNTIME + ") on " + APPLIED_COUNT + " thread(s), "
                    + (explicitlyGiven ? "from -Disthmus.threads" : "every core, as the vector kernels");
        }
    }

    private OpenMp() {
    }

    /**
     * Sets this thread's OpenMP thread count to the configured one, once per thread; call it before
     * any oneDNN call. A virtual thread may run on another carrier thread after each call, so for
     * one the count is set every time (a few nanoseconds).
     */
    static void useConfiguredThreads() {
        if (APPLIED_COUNT == 0) {
            return;
        }
        if (Thread.currentThread().isVirtual()) {
            setNumThreads();
        } else {
            APPLIED.get();
        }
    }

    /** The count oneDNN's calls use and where it comes from, for the backends' descriptions. */
    static String describe() {
        return DESCRIPTION + ", " + OneDnnLibrary.OPENMP_WAIT_POLICY;
    }

    private static void setNumThreads() {
        try {
            SET_NUM_THREADS.invokeExact(APPLIED_COUNT);
        } catch (Throwable e) {
            throw new IllegalStateException("omp_set_num_threads downcall failed", e);
        }
    }

    /** The file name of the library that holds {@code address} (dladdr), or "libdnnl's runtime" when it cannot tell. */
    private static String fileDefining(MemorySegment address) {
        Linker linker = Linker.nativeLinker();
        Optional<MemorySegment> dladdr = linker.defaultLookup().find("dladdr");
        if (dladdr.isEmpty()) {
            return "libdnnl's runtime";
        }
        MethodHandle handle = linker.downcallHandle(dladdr.get(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
        try (Arena arena = Arena.ofConfined()) {
            // Dl_info: dli_fname, dli_fbase, dli_sname, dli_saddr.
            MemorySegment info = arena.allocate(ValueLayout.ADDRESS, 4);
            if ((int) handle.invokeExact(address, info) == 0) {
                return "libdnnl's runtime";
            }
            MemorySegment fileName = info.get(ValueLayout.ADDRESS, 0);
            return fileName.equals(MemorySegment.NULL) ? "libdnnl's runtime"
                    : Path.of(fileName.reinterpret(4096).getString(0)).getFileName().toString();
        } catch (Throwable e) {
            throw new IllegalStateException("dladdr downcall failed", e);
        }
    }
}
