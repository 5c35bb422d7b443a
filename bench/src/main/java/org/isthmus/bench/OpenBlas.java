package org.isthmus.bench;

import java.io.Serial;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.isthmus.kernels.GemmArguments;
import org.isthmus.kernels.Segments;

/**
 * A handwritten FFM binding to the four OpenBLAS functions the benchmarks need: {@code cblas_sgemm}
 * and the thread-count and configuration queries. OpenBLAS is a peer to compare against, not an
 * Isthmus backend, so it lives here and not in {@code native/}.
 *
 * <p>The library is looked up once: the file named by {@value #LIBRARY_ENV} when that is set,
 * otherwise Debian's {@code libopenblas0-pthread} locations. A missing library or symbol is an
 * {@link UnavailableException} listing what was tried, never a linkage error.
 */
// Restricted FFM calls are this class's purpose; isthmus.jvm.flags enables native access for them.
@SuppressWarnings("restricted")
public final class OpenBlas {

    /** Environment variable naming the OpenBLAS shared library file to use instead of the search. */
    public static final String LIBRARY_ENV = "ISTHMUS_OPENBLAS_LIB";
    private static final String DEBIAN_PTHREAD_LIBRARY = "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0";
    private static final String SONAME = "libopenblas.so.0";

    // CBLAS enum values (cblas.h).
    private static final int CBLAS_ROW_MAJOR = 101;
    private static final int CBLAS_NO_TRANS = 111;
    private static final int CBLAS_TRANS = 112;

    private final String location;
    private final MethodHandle sgemm;
    private final MethodHandle setNumThreads;
    private final MethodHandle getNumThreads;
    private final MethodHandle getConfig;

    private OpenBlas(String location, SymbolLookup library) {
        Linker linker = Linker.nativeLinker();
        this.location = location;
        // critical(true): one self-contained call that lets heap segments through zero-copy; the
        // price is that this thread holds off safepoints (and so GC) until the call returns.
        this.sgemm = linker.downcallHandle(symbol(library, "cblas_sgemm"),
                FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                        ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_FLOAT,
                        ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT,
                        ValueLayout.JAVA_FLOAT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT),
                Linker.Option.critical(true));
        this.setNumThreads = linker.downcallHandle(symbol(library, "openblas_set_num_threads"),
                FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT));
        this.getNumThreads = linker.downcallHandle(symbol(library, "openblas_get_num_threads"),
                FunctionDescriptor.of(ValueLayout.JAVA_INT));
        this.getConfig = linker.downcallHandle(symbol(library, "openblas_get_config"),
                FunctionDescriptor.of(ValueLayout.ADDRESS));
    }

    /** The process-wide binding, or {@link UnavailableException} naming each library tried and why it failed. */
    public static OpenBlas load() {
        return Loaded.RESULT.orElseThrow(() -> new UnavailableException(Loaded.FAILURE));
    }

    /** Where the library was loaded from. */
    public String location() {
        return location;
    }

    /** OpenBLAS's build line: version, target core, thread limit ("OpenBLAS 0.3.21 ... Zen MAX_THREADS=64"). */
    public String config() {
        try {
            MemorySegment text = (MemorySegment) getConfig.invokeExact();
            return text.reinterpret(Long.MAX_VALUE).getString(0);
        } catch (Throwable e) {
            throw rethrow("openblas_get_config", e);
        }
    }

    /** Sets how many threads OpenBLAS's own pool uses from now on. */
    public void setThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        try {
            setNumThreads.invokeExact(threads);
        } catch (Throwable e) {
            throw rethrow("openblas_set_num_threads", e);
        }
    }

    /** How many threads OpenBLAS uses (its build's MAX_THREADS caps what {@link #setThreads} asks for). */
    public int threads() {
        try {
            return (int) getNumThreads.invokeExact();
        } catch (Throwable e) {
            throw rethrow("openblas_get_num_threads", e);
        }
    }

    /**
     * C = alpha·op(A)·op(B) + beta·C, row-major, with the same argument meaning as
     * {@code Backend.sgemm} (offsets in elements). Arguments are validated here, so OpenBLAS never
     * reads or writes outside the segments.
     */
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                      MemorySegment a, long aOffset, int lda, MemorySegment b, long bOffset, int ldb,
                      float beta, MemorySegment c, long cOffset, int ldc) {
        GemmArguments.check(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc);
        try {
            sgemm.invokeExact(CBLAS_ROW_MAJOR, transA ? CBLAS_TRANS : CBLAS_NO_TRANS,
                    transB ? CBLAS_TRANS : CBLAS_NO_TRANS, m, n, k, alpha,
                    a.asSlice(aOffset * Segments.FLOAT_BYTES), lda,
                    b.asSlice(bOffset * Segments.FLOAT_BYTES), ldb, beta,
                    c.asSlice(cOffset * Segments.FLOAT_BYTES), ldc);
        } catch (Throwable e) {
            throw rethrow("cblas_sgemm", e);
        }
    }

    @Override
    public String toString() {
        return "OpenBLAS from " + location;
    }

    private static MemorySegment symbol(SymbolLookup library, String name) {
        return library.find(name).orElseThrow(() -> new IllegalArgumentException("symbol " + name + " not found"));
    }

    /** A downcall's failure as an unchecked exception, for {@code throw rethrow(...)}; errors propagate as they are. */
    private static RuntimeException rethrow(String function, Throwable e) {
        if (e instanceof RuntimeException runtime) {
            return runtime;
        }
        if (e instanceof Error error) {
            throw error;
        }
        return new IllegalStateException(function + " failed", e);
    }

    /** OpenBLAS could not be loaded; the message lists every location tried and why it failed. */
    public static final class UnavailableException extends RuntimeException {
        @Serial
        private static final long serialVersionUID = 1L;

        UnavailableException(String reason) {
            super("OpenBLAS is unavailable because " + reason);
        }
    }

    /** Loads on first use; every failure is caught into {@link #FAILURE}, so initialisation never throws. */
    private static final class Loaded {
        private static final Optional<OpenBlas> RESULT;
        private static final String FAILURE;

        static {
            List<String> attempts = new ArrayList<>();
            OpenBlas found;
            String configured = System.getenv(LIBRARY_ENV);
            if (configured != null && !configured.isBlank()) {
                // An explicit choice is honoured or reported, never silently replaced by a system copy.
                found = tryPath(configured.trim(), LIBRARY_ENV + "=", attempts);
            } else {
                attempts.add(LIBRARY_ENV + " not set");
                found = tryPath(DEBIAN_PTHREAD_LIBRARY, "", attempts);
                if (found == null) {
                    found = tryName(SONAME, attempts);
                }
            }
            RESULT = Optional.ofNullable(found);
            FAILURE = found == null
                    ? "no usable library was found; tried: " + String.join("; ", attempts)
                    + " (on Debian/Ubuntu: apt-get install libopenblas0-pthread)"
                    : null;
        }

        private static OpenBlas tryPath(String file, String origin, List<String> attempts) {
            try {
                Path path = Path.of(file);
                if (!Files.isRegularFile(path)) {
                    attempts.add(origin + file + " (no such file)");
                    return null;
                }
                return new OpenBlas(file, SymbolLookup.libraryLookup(path, Arena.global()));
            } catch (RuntimeException e) {
                attempts.add(origin + file + " (" + e.getMessage() + ")");
                return null;
            }
        }

        private static OpenBlas tryName(String soname, List<String> attempts) {
            try {
                return new OpenBlas(soname + " via the system loader",
                        SymbolLookup.libraryLookup(soname, Arena.global()));
            } catch (RuntimeException e) {
                attempts.add(soname + " via the system loader (" + e.getMessage() + ")");
                return null;
            }
        }

        private Loaded() {
        }
    }
}
