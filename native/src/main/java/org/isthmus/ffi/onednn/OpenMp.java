package org.isthmus.ffi.onednn;

import org.isthmus.kernels.Parallelism;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.List;
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
 * <p>The runtime is the one libdnnl is linked against, already loaded with it: libgomp (the
 * bytedeco build), else Intel's libiomp5. Without either, oneDNN runs with OpenMP's defaults and
 * {@link #describe()} says so. This class is first used once {@link OneDnnLibrary} has loaded
 * libdnnl (by the backends it makes); before that, the lookup by soname could load a second copy.
 */
final class OpenMp {

    private static final List<String> RUNTIMES = List.of("libgomp.so.1", "libiomp5.so");

    /** omp_set_num_threads, or null when no OpenMP runtime was found. */
    private static final MethodHandle SET_NUM_THREADS;
    /** The runtime's file name, or null. */
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
        Optional<SymbolLookup> runtime = Optional.empty();
        String name = null;
        for (String candidate : RUNTIMES) {
            runtime = lookup(candidate);
            if (runtime.isPresent()) {
                name = candidate;
                break;
            }
        }
        RUNTIME = name;
        SET_NUM_THREADS = runtime.flatMap(lookup -> lookup.find("omp_set_num_threads"))
                .map(address -> Linker.nativeLinker().downcallHandle(address,
                        FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT), Linker.Option.critical(false)))
                .orElse(null);
        String explicit = System.getProperty("isthmus.threads");
        String environment = System.getenv("OMP_NUM_THREADS");
        boolean explicitlyGiven = explicit != null && !explicit.isBlank();
        if (SET_NUM_THREADS == null) {
            APPLIED_COUNT = 0;
            DESCRIPTION = "OpenMP runtime not found (tried " + String.join(", ", RUNTIMES)
                    + "), so OpenMP's default thread count";
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

    private static Optional<SymbolLookup> lookup(String library) {
        try {
            // dlopen by soname finds the copy libdnnl already pulled in; Arena.global keeps it loaded.
            return Optional.of(SymbolLookup.libraryLookup(library, Arena.global()));
        } catch (IllegalArgumentException notFound) {
            return Optional.empty();
        }
    }
}
