package org.isthmus.ffi.onednn;

import org.isthmus.ffi.onednn.bindings.dnnl_h;
import org.isthmus.ffi.onednn.bindings.dnnl_version_t;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.JarURLConnection;
import java.net.URLConnection;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.function.Supplier;

/**
 * Finds and loads {@code libdnnl.so.3}, once per JVM, in the order ARCHITECTURE.md fixes:
 * <ol>
 * <li>the file named by {@code ISTHMUS_ONEDNN_LIB} — when set, it is the only place tried, so a
 *     wrong path is reported rather than silently replaced by another copy;</li>
 * <li>the system library path: {@code java.library.path}, {@code LD_LIBRARY_PATH} and the
 *     usual system folders;</li>
 * <li>the Maven artifact {@code org.bytedeco:dnnl:<3.x>:linux-x86_64} on the class path: its
 *     {@code .so} files are copied once into {@code ~/.cache/isthmus/onednn/<content key>/} (each file
 *     written under a temporary name and renamed atomically, so two JVMs starting at once both
 *     see whole files) and loaded from there, {@code libgomp.so.1} first.</li>
 * </ol>
 * Before loading, it sets OpenMP's wait policy to passive unless the user chose one
 * ({@link #OPENMP_WAIT_POLICY}). The library is loaded with {@link System#load}, so the generated bindings (which look symbols up
 * among this class loader's libraries) find it. Every symbol the backend uses is then looked up
 * and the version checked (3.0 or later): any failure is a {@link LoadFailure} with a one-line
 * reason and the underlying error as its cause, never an {@link ExceptionInInitializerError}.
 */
final class OneDnnLibrary {

    static final String ENVIRONMENT_VARIABLE = "ISTHMUS_ONEDNN_LIB";
    static final String LIBRARY_FILE = "libdnnl.so.3";
    static final String ARTIFACT_FOLDER = "org/bytedeco/dnnl/linux-x86_64/";
    /** Loaded before libdnnl from the artifact: libdnnl needs it and finds it by soname once loaded. */
    private static final String OPENMP_FILE = "libgomp.so.1";
    private static final List<String> SYSTEM_FOLDERS = List.of("/usr/local/lib", "/usr/local/lib64",
            "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib", "/opt/intel/oneapi/dnnl/latest/lib");

    /** Where the library was found and what it reported. */
    record Loaded(Path path, String source, String version) {
    }

    /** Why the library cannot be used here: a one-line reason and the underlying failure. */
    static final class LoadFailure extends Exception {
        private static final long serialVersionUID = 1L;

        LoadFailure(String reason, Throwable cause) {
            super(reason, cause);
        }
    }

    private static final String WAIT_POLICY_VARIABLE = "OMP_WAIT_POLICY";

    /**
     * OpenMP's wait policy, settled before libgomp loads (it reads its environment once, in its
     * load-time constructor): when the user has not set {@code OMP_WAIT_POLICY}, PASSIVE for this
     * process, so that oneDNN's idle OpenMP threads sleep at once instead of spinning (libgomp's
     * default: up to 300,000 iterations) on cores that the vector kernels' pool, which alternates
     * with oneDNN under {@code auto}, or other processes need. The MLP's training epoch on two cores
     * took 12–22 s spinning and 1.4–1.6 s passive (bench/NOTES.md, "oneDNN"). Set through libc's
     * {@code setenv}, as Java cannot change its own environment (child processes keep the JVM's
     * snapshot); it has no effect if an OpenMP runtime was loaded before this class. Declared
     * before {@link #RESULT}, so it runs first.
     */
    static final String OPENMP_WAIT_POLICY = preferPassiveOpenMpWaiting();

    private static final Result RESULT = loadOnce();

    private OneDnnLibrary() {
    }

    /** The loaded library, or the reason it could not be loaded. */
    static Loaded get() throws LoadFailure {
        if (RESULT.failure != null) {
            throw RESULT.failure;
        }
        return RESULT.loaded;
    }

    private record Result(Loaded loaded, LoadFailure failure) {
    }

    private static String preferPassiveOpenMpWaiting() {
        String chosen = System.getenv(WAIT_POLICY_VARIABLE);
        if (chosen != null) {
            return WAIT_POLICY_VARIABLE + "=" + chosen + " as set";
        }
        Linker linker = Linker.nativeLinker();
        MethodHandle setenv = linker.downcallHandle(linker.defaultLookup().findOrThrow("setenv"),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        try (Arena arena = Arena.ofConfined()) {
            int status = (int) setenv.invokeExact(arena.allocateFrom(WAIT_POLICY_VARIABLE), arena.allocateFrom("PASSIVE"), 0);
            return status == 0 ? "passive waiting (" + WAIT_POLICY_VARIABLE + "=PASSIVE, set by Isthmus)"
                    : "OpenMP's default wait policy (setenv failed)";
        } catch (Throwable e) {
            throw new IllegalStateException("setenv downcall failed", e);
        }
    }

    private static Result loadOnce() {
        try {
            return new Result(load(System.getenv(ENVIRONMENT_VARIABLE), OneDnnLibrary::systemFolders,
                    defaultCacheRoot()), null);
        } catch (LoadFailure failure) {
            return new Result(null, failure);
        }
    }

    /**
     * The search itself, its inputs passed in so that tests can point it at a bogus file.
     *
     * @param explicitFile the value of {@code ISTHMUS_ONEDNN_LIB}, or null
     */
    static Loaded load(String explicitFile, Supplier<List<Path>> systemFolders, Path cacheRoot) throws LoadFailure {
        if (explicitFile != null && !explicitFile.isBlank()) {
            Path file = Path.of(explicitFile.trim()).toAbsolutePath();
            if (!Files.isRegularFile(file)) {
                throw new LoadFailure(ENVIRONMENT_VARIABLE + "=" + explicitFile + " is not a file", null);
            }
            return loadAndCheck(file, ENVIRONMENT_VARIABLE);
        }
        for (Path folder : systemFolders.get()) {
            Path file = folder.resolve(LIBRARY_FILE);
            if (Files.isRegularFile(file)) {
                return loadAndCheck(file, "system library path");
            }
        }
        Optional<Path> fromArtifact = extractArtifact(cacheRoot);
        if (fromArtifact.isPresent()) {
            return loadAndCheck(fromArtifact.get(), "class path (org.bytedeco:dnnl)");
        }
        throw new LoadFailure(LIBRARY_FILE + " not found: " + ENVIRONMENT_VARIABLE + " is not set, it is on no folder of "
                + "the system library path, and org.bytedeco:dnnl:linux-x86_64 is not on the class path", null);
    }

    private static Loaded loadAndCheck(Path file, String source) throws LoadFailure {
        Path openMp = file.resolveSibling(OPENMP_FILE);
        try {
            if (Files.isRegularFile(openMp) && source.startsWith("class path")) {
                System.load(openMp.toString());
            }
            System.load(file.toString());
        } catch (UnsatisfiedLinkError e) {
            throw new LoadFailure("cannot load " + file + " (from " + source + "): " + firstLine(e.getMessage()), e);
        }
        String version;
        try {
            checkSymbols();
            MemorySegment info = dnnl_h.dnnl_version().reinterpret(dnnl_version_t.layout().byteSize());
            int major = dnnl_version_t.major(info);
            version = major + "." + dnnl_version_t.minor(info) + "." + dnnl_version_t.patch(info);
            if (major < 3) {
                throw new LoadFailure(file + " is oneDNN " + version + "; Isthmus needs 3.0 or later", null);
            }
        } catch (IllegalArgumentException | LinkageError e) {
            throw new LoadFailure(file + " (from " + source + ") lacks a oneDNN 3.x symbol: " + firstLine(e.getMessage()), e);
        }
        return new Loaded(file, source, version);
    }

    /** Looks up every function the backend calls now, so that a missing one is "unavailable", not a later crash. */
    private static void checkSymbols() {
        List<MemorySegment> addresses = List.of(dnnl_h.dnnl_version$address(), dnnl_h.dnnl_status2str$address(),
                dnnl_h.dnnl_sgemm$address(), dnnl_h.dnnl_engine_create$address(), dnnl_h.dnnl_engine_destroy$address(),
                dnnl_h.dnnl_stream_create$address(), dnnl_h.dnnl_stream_destroy$address(),
                dnnl_h.dnnl_memory_desc_create_with_tag$address(), dnnl_h.dnnl_memory_desc_destroy$address(),
                dnnl_h.dnnl_memory_desc_get_size$address(), dnnl_h.dnnl_memory_desc_equal$address(),
                dnnl_h.dnnl_memory_create$address(), dnnl_h.dnnl_memory_destroy$address(),
                dnnl_h.dnnl_primitive_desc_query$address(),
                dnnl_h.dnnl_primitive_desc_query_md$address(), dnnl_h.dnnl_primitive_desc_destroy$address(),
                dnnl_h.dnnl_primitive_create$address(), dnnl_h.dnnl_primitive_destroy$address(),
                dnnl_h.dnnl_primitive_execute$address(), dnnl_h.dnnl_reorder_primitive_desc_create$address(),
                dnnl_h.dnnl_convolution_forward_primitive_desc_create$address(),
                dnnl_h.dnnl_convolution_backward_data_primitive_desc_create$address(),
                dnnl_h.dnnl_convolution_backward_weights_primitive_desc_create$address(),
                dnnl_h.dnnl_softmax_forward_primitive_desc_create$address(),
                dnnl_h.dnnl_softmax_backward_primitive_desc_create$address(),
                dnnl_h.dnnl_layer_normalization_forward_primitive_desc_create$address(),
                dnnl_h.dnnl_layer_normalization_backward_primitive_desc_create$address());
        for (MemorySegment address : addresses) {
            if (address.equals(MemorySegment.NULL)) {
                throw new IllegalArgumentException("a symbol resolved to NULL");
            }
        }
    }

    private static List<Path> systemFolders() {
        List<Path> folders = new ArrayList<>();
        for (String list : new String[] {System.getProperty("java.library.path"), System.getenv("LD_LIBRARY_PATH")}) {
            if (list != null) {
                for (String entry : list.split(java.io.File.pathSeparator)) {
                    if (!entry.isBlank()) {
                        folders.add(Path.of(entry));
                    }
                }
            }
        }
        SYSTEM_FOLDERS.forEach(folder -> folders.add(Path.of(folder)));
        return folders;
    }

    private static Path defaultCacheRoot() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("isthmus").resolve("onednn");
    }

    /**
     * Copies the artifact's libraries into {@code cacheRoot/<content key of libdnnl>/} unless they are
     * there already, and returns libdnnl's path there; empty when the artifact is not on the class path.
     */
    static Optional<Path> extractArtifact(Path cacheRoot) throws LoadFailure {
        ClassLoader loader = OneDnnLibrary.class.getClassLoader();
        if (loader.getResource(ARTIFACT_FOLDER + LIBRARY_FILE) == null) {
            return Optional.empty();
        }
        try {
            Path folder = cacheRoot.resolve(contentKey(loader, ARTIFACT_FOLDER + LIBRARY_FILE));
            Files.createDirectories(folder);
            for (String name : List.of(OPENMP_FILE, LIBRARY_FILE)) {
                copyOnce(loader, ARTIFACT_FOLDER + name, folder.resolve(name));
            }
            return Optional.of(folder.resolve(LIBRARY_FILE));
        } catch (IOException | UncheckedIOException e) {
            throw new LoadFailure("cannot copy oneDNN from the class path into " + cacheRoot + ": " + e, e);
        }
    }

    private static void copyOnce(ClassLoader loader, String resource, Path target) throws IOException {
        if (Files.isRegularFile(target)) {
            return;
        }
        try (InputStream in = loader.getResourceAsStream(resource)) {
            if (in == null) {
                return;
            }
            Path temporary = Files.createTempFile(target.getParent(), target.getFileName() + ".", ".part");
            try {
                Files.copy(in, temporary, StandardCopyOption.REPLACE_EXISTING);
                try {
                    Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
                } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException raced) {
                    // Another JVM finished the same copy first; its file has the same content.
                    if (!Files.isRegularFile(target)) {
                        Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            } finally {
                Files.deleteIfExists(temporary);
            }
        }
    }

    /**
     * A name for the library's content. From a jar: the CRC-32 and size its zip entry records (read
     * from the jar's directory, free; the copy is checked against that CRC as it is inflated). Hashing
     * the 90 MB library instead cost 0.65 s of every JVM's start. Elsewhere (an exploded class
     * path): its SHA-256.
     */
    private static String contentKey(ClassLoader loader, String resource) throws IOException {
        URLConnection connection = loader.getResource(resource).openConnection();
        if (connection instanceof JarURLConnection jar) {
            jar.setUseCaches(false); // our own JarFile, closed here, not the class loader's
            try (JarFile file = jar.getJarFile()) {
                JarEntry entry = file.getJarEntry(jar.getEntryName());
                if (entry != null && entry.getCrc() >= 0 && entry.getSize() >= 0) {
                    return String.format("crc32-%08x-%d", entry.getCrc(), entry.getSize());
                }
            }
        }
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JDK", e);
        }
        try (InputStream in = new DigestInputStream(loader.getResourceAsStream(resource), digest)) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
        }
        return "sha256-" + HexFormat.of().formatHex(digest.digest());
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "no message";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
