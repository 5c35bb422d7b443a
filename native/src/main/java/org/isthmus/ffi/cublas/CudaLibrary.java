package org.isthmus.ffi.cublas;

import org.isthmus.ffi.cublas.bindings.cuda_h;

import java.io.File;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.StringJoiner;
import java.util.function.Supplier;

/**
 * Finds and loads the CUDA runtime and cuBLAS, once per JVM, then asks the runtime for a GPU.
 * Folders are searched in this order (ARCHITECTURE.md):
 * <ol>
 * <li>{@code ISTHMUS_CUDA_LIB_DIR} — when set, the only folder tried, so a wrong path is reported
 *     rather than silently replaced by another copy;</li>
 * <li>the system library path: {@code java.library.path}, {@code LD_LIBRARY_PATH}, the usual system
 *     folders and {@code /usr/local/cuda};</li>
 * <li>{@code $CUDA_HOME/lib64} (and {@code $CUDA_PATH/lib64});</li>
 * <li>the {@code nvidia/cuda_runtime/lib}, {@code nvidia/cublas/lib} (CUDA 12 wheels) and
 *     {@code nvidia/cu13/lib} (CUDA 13 wheels) folders of the Python installations found by listing
 *     {@code lib/python3*}{@code /site-packages} and {@code dist-packages} under {@code /usr},
 *     {@code /usr/local}, {@code ~/.local}, {@code $VIRTUAL_ENV} and {@code $CONDA_PREFIX}, and the
 *     entries of {@code PYTHONPATH}. Python itself is never run: it may not be installed.</li>
 * </ol>
 * For soname 13, then 12, the first folder holding {@code libcudart.so.N} and the first holding
 * {@code libcublas.so.N} are taken. The runtime is loaded first and asked for a GPU; then
 * {@code libcublasLt.so.N}, which libcublas needs, from cuBLAS's folder when it is there, then libcublas. The libraries are loaded with {@link System#load}, so the
 * generated bindings (which look symbols up among this class loader's libraries) find them. Every
 * symbol is then looked up and {@code cudaGetDeviceCount} called: no library, no GPU, or an error is
 * a {@link LoadFailure} with a one-line reason naming every folder tried, never an
 * {@link ExceptionInInitializerError}.
 */
final class CudaLibrary {

    static final String ENVIRONMENT_VARIABLE = "ISTHMUS_CUDA_LIB_DIR";
    static final List<Integer> SONAME_VERSIONS = List.of(13, 12);
    static final List<Path> SYSTEM_FOLDERS = List.of(Path.of("/usr/local/cuda/lib64"),
            Path.of("/usr/local/cuda/targets/x86_64-linux/lib"), Path.of("/usr/lib/x86_64-linux-gnu"),
            Path.of("/lib/x86_64-linux-gnu"), Path.of("/usr/lib64"), Path.of("/usr/lib"), Path.of("/usr/local/lib"));
    static final List<Path> PYTHON_PREFIXES = List.of(Path.of("/usr"), Path.of("/usr/local"));
    private static final List<String> WHEEL_FOLDERS = List.of("nvidia/cuda_runtime/lib", "nvidia/cublas/lib",
            "nvidia/cu13/lib");

    /** A folder to search and why it is searched. */
    record Folder(Path path, String source) {
        @Override
        public String toString() {
            return path + " (" + source + ")";
        }
    }

    /** What the search reads from its surroundings; {@link #current()} in production, fakes in tests. */
    record Surroundings(Map<String, String> environment, String javaLibraryPath, Path home, List<Path> systemFolders,
                        List<Path> pythonPrefixes) {
        static Surroundings current() {
            return new Surroundings(System.getenv(), System.getProperty("java.library.path", ""),
                    Path.of(System.getProperty("user.home")), SYSTEM_FOLDERS, PYTHON_PREFIXES);
        }
    }

    /** The library files of one soname version found in the search ({@code cublas} null: the runtime alone). */
    record Found(Path runtime, Folder runtimeFolder, Path cublas, Folder cublasFolder, int version) {
    }

    /** Where the libraries were found and what the runtime reported. */
    record Loaded(Found found, int runtimeVersion, int driverVersion, int devices) {
        String describe() {
            return "CUDA runtime " + version(runtimeVersion) + " (driver " + version(driverVersion) + ", "
                    + devices + " GPU(s)) from " + found.runtime() + ", cuBLAS from " + found.cublas();
        }

        private static String version(int encoded) {
            return encoded / 1000 + "." + encoded % 1000 / 10;
        }
    }

    /** Why the libraries cannot be used here: a one-line reason and the underlying failure. */
    static final class LoadFailure extends Exception {
        private static final long serialVersionUID = 1L;

        LoadFailure(String reason, Throwable cause) {
            super(reason, cause);
        }
    }

    private record Result(Loaded loaded, LoadFailure failure) {
    }

    /** Loaded on first use (after this class's constants), once per JVM. */
    private static final class Once {
        static final Result RESULT = loadOnce();
    }

    private CudaLibrary() {
    }

    /** The loaded libraries with at least one GPU, or the reason they cannot be used. */
    static Loaded get() throws LoadFailure {
        if (Once.RESULT.failure != null) {
            throw Once.RESULT.failure;
        }
        return Once.RESULT.loaded;
    }

    private static Result loadOnce() {
        try {
            return new Result(load(Surroundings.current()), null);
        } catch (LoadFailure failure) {
            return new Result(null, failure);
        }
    }

    /**
     * The search, the loading and the device check, with their inputs passed in. The runtime is
     * loaded and asked for a GPU before cuBLAS is loaded, and even when no cuBLAS was found, so that a
     * machine with the runtime but no GPU says so (the more basic reason).
     */
    static Loaded load(Surroundings surroundings) throws LoadFailure {
        List<Folder> folders = searchFolders(surroundings);
        Optional<Found> pair = find(folders);
        Optional<Found> withRuntime = pair.isPresent() ? pair : findRuntime(folders);
        Found runtime = withRuntime.orElseThrow(() -> new LoadFailure(notFound(folders), null));
        loadFile(runtime.runtime(), runtime.runtimeFolder());
        checkSymbols(runtime, RUNTIME_SYMBOLS);
        Loaded loaded = checkDevices(runtime, pair.isPresent() ? "" : "; cuBLAS is missing too: " + notFound(folders));
        if (pair.isEmpty()) {
            throw new LoadFailure("the CUDA runtime " + runtime.runtime() + " sees " + loaded.devices() + " GPU(s), but "
                    + notFound(folders), null);
        }
        Found found = pair.get();
        Path cublasLt = found.cublas().resolveSibling(cublasLtFile(found.version()));
        if (Files.isRegularFile(cublasLt)) {
            loadFile(cublasLt, found.cublasFolder());
        }
        loadFile(found.cublas(), found.cublasFolder());
        checkSymbols(found, CUBLAS_SYMBOLS);
        return loaded;
    }

    /** Every folder to search, in order, without repeats. */
    static List<Folder> searchFolders(Surroundings surroundings) {
        Map<String, String> environment = surroundings.environment();
        String explicit = environment.get(ENVIRONMENT_VARIABLE);
        if (explicit != null && !explicit.isBlank()) {
            return List.of(new Folder(Path.of(explicit.trim()), ENVIRONMENT_VARIABLE));
        }
        Set<Path> seen = new LinkedHashSet<>();
        List<Folder> folders = new ArrayList<>();
        for (String list : new String[] {surroundings.javaLibraryPath(), environment.get("LD_LIBRARY_PATH")}) {
            for (Path entry : pathList(list)) {
                add(folders, seen, entry, "system library path");
            }
        }
        surroundings.systemFolders().forEach(folder -> add(folders, seen, folder, "system library path"));
        for (String variable : List.of("CUDA_HOME", "CUDA_PATH")) {
            String value = environment.get(variable);
            if (value != null && !value.isBlank()) {
                add(folders, seen, Path.of(value.trim(), "lib64"), variable + "/lib64");
            }
        }
        List<Path> sitePackages = new ArrayList<>(pathList(environment.get("PYTHONPATH")));
        List<Path> prefixes = new ArrayList<>(surroundings.pythonPrefixes());
        prefixes.add(surroundings.home().resolve(".local"));
        for (String variable : List.of("VIRTUAL_ENV", "CONDA_PREFIX")) {
            String value = environment.get(variable);
            if (value != null && !value.isBlank()) {
                prefixes.add(Path.of(value.trim()));
            }
        }
        for (Path prefix : prefixes) {
            for (Path python : list(prefix.resolve("lib"), "python3*")) {
                sitePackages.add(python.resolve("site-packages"));
                sitePackages.add(python.resolve("dist-packages"));
            }
        }
        for (Path site : sitePackages) {
            for (String wheel : WHEEL_FOLDERS) {
                Path folder = site.resolve(wheel);
                if (Files.isDirectory(folder)) {
                    add(folders, seen, folder, "Python package");
                }
            }
        }
        return folders;
    }

    /** For the newest soname with both libraries somewhere, the first folder holding each. */
    static Optional<Found> find(List<Folder> folders) {
        for (int version : SONAME_VERSIONS) {
            Optional<Folder> runtime = firstHolding(folders, runtimeFile(version));
            Optional<Folder> cublas = firstHolding(folders, cublasFile(version));
            if (runtime.isPresent() && cublas.isPresent()) {
                return Optional.of(new Found(runtime.get().path().resolve(runtimeFile(version)), runtime.get(),
                        cublas.get().path().resolve(cublasFile(version)), cublas.get(), version));
            }
        }
        return Optional.empty();
    }

    /** The newest runtime anywhere, for the device check when no folder pair holds both libraries. */
    private static Optional<Found> findRuntime(List<Folder> folders) {
        for (int version : SONAME_VERSIONS) {
            Optional<Folder> runtime = firstHolding(folders, runtimeFile(version));
            if (runtime.isPresent()) {
                return Optional.of(new Found(runtime.get().path().resolve(runtimeFile(version)), runtime.get(), null,
                        null, version));
            }
        }
        return Optional.empty();
    }

    static String runtimeFile(int version) {
        return "libcudart.so." + version;
    }

    static String cublasFile(int version) {
        return "libcublas.so." + version;
    }

    static String cublasLtFile(int version) {
        return "libcublasLt.so." + version;
    }

    private static String notFound(List<Folder> folders) {
        StringJoiner partial = new StringJoiner(", ");
        for (int version : SONAME_VERSIONS) {
            for (String file : List.of(runtimeFile(version), cublasFile(version))) {
                firstHolding(folders, file).ifPresent(folder -> partial.add(file + " in " + folder.path()));
            }
        }
        return "no folder pair holds libcudart.so.N and libcublas.so.N for N in " + SONAME_VERSIONS
                + (partial.length() > 0 ? " (found only " + partial + ")" : "") + "; searched " + folders.size()
                + " folder(s): " + folders + (folders.stream().anyMatch(f -> f.source().equals(ENVIRONMENT_VARIABLE))
                ? "" : "; set " + ENVIRONMENT_VARIABLE + " to the folder holding them");
    }

    private static void loadFile(Path file, Folder folder) throws LoadFailure {
        try {
            System.load(file.toAbsolutePath().toString());
        } catch (UnsatisfiedLinkError e) {
            throw new LoadFailure("cannot load " + file + " (from " + folder.source() + "): " + firstLine(e.getMessage()), e);
        }
    }

    /** The runtime's and driver's versions and the number of GPUs; no GPU, or an error, is a {@link LoadFailure}. */
    private static Loaded checkDevices(Found found, String alsoMissing) throws LoadFailure {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(ValueLayout.JAVA_INT);
            int status = cuda_h.cudaRuntimeGetVersion(value);
            int runtimeVersion = status == cuda_h.cudaSuccess() ? value.get(ValueLayout.JAVA_INT, 0) : 0;
            status = cuda_h.cudaDriverGetVersion(value);
            int driverVersion = status == cuda_h.cudaSuccess() ? value.get(ValueLayout.JAVA_INT, 0) : 0;
            status = cuda_h.cudaGetDeviceCount(value);
            if (status != cuda_h.cudaSuccess()) {
                throw new LoadFailure("loaded " + found.runtime() + " (from " + found.runtimeFolder().source()
                        + "), but there is no usable GPU: " + Cuda.runtimeError(status, "cudaGetDeviceCount").getMessage()
                        + alsoMissing, null);
            }
            int devices = value.get(ValueLayout.JAVA_INT, 0);
            if (devices == 0) {
                throw new LoadFailure("loaded " + found.runtime() + " (from " + found.runtimeFolder().source()
                        + "), but cudaGetDeviceCount reports 0 GPUs" + alsoMissing, null);
            }
            return new Loaded(found, runtimeVersion, driverVersion, devices);
        }
    }

    /** Looks up every function the backend calls now, so that a missing one is "unavailable", not a later crash. */
    private static void checkSymbols(Found found, Supplier<List<MemorySegment>> symbols) throws LoadFailure {
        try {
            for (MemorySegment address : symbols.get()) {
                if (address.equals(MemorySegment.NULL)) {
                    throw new IllegalArgumentException("a symbol resolved to NULL");
                }
            }
        } catch (IllegalArgumentException | LinkageError e) {
            throw new LoadFailure((found.cublas() == null ? found.runtime() : found.runtime() + " or " + found.cublas())
                    + " lacks a CUDA " + found.version() + " symbol: " + firstLine(e.getMessage()), e);
        }
    }

    private static final Supplier<List<MemorySegment>> RUNTIME_SYMBOLS = () -> List.of(
            cuda_h.cudaRuntimeGetVersion$address(), cuda_h.cudaDriverGetVersion$address(),
            cuda_h.cudaGetDeviceCount$address(), cuda_h.cudaSetDevice$address(),
            cuda_h.cudaGetErrorName$address(), cuda_h.cudaGetErrorString$address(), cuda_h.cudaMalloc$address(),
            cuda_h.cudaFree$address(), cuda_h.cudaMallocHost$address(), cuda_h.cudaFreeHost$address(),
            cuda_h.cudaMemcpyAsync$address(), cuda_h.cudaStreamCreate$address(), cuda_h.cudaStreamDestroy$address(),
            cuda_h.cudaStreamSynchronize$address(), cuda_h.cudaEventCreate$address(), cuda_h.cudaEventRecord$address(),
            cuda_h.cudaEventSynchronize$address(), cuda_h.cudaEventElapsedTime$address(),
            cuda_h.cudaEventDestroy$address());

    private static final Supplier<List<MemorySegment>> CUBLAS_SYMBOLS = () -> List.of(
            cuda_h.cublasCreate_v2$address(), cuda_h.cublasDestroy_v2$address(),
            cuda_h.cublasSetStream_v2$address(), cuda_h.cublasSetMathMode$address(),
            cuda_h.cublasGetStatusName$address(), cuda_h.cublasGetStatusString$address(),
            cuda_h.cublasSgemm_v2$address(), cuda_h.cublasSgemmStridedBatched$address());

    private static Optional<Folder> firstHolding(List<Folder> folders, String file) {
        return folders.stream().filter(folder -> Files.isRegularFile(folder.path().resolve(file))).findFirst();
    }

    private static void add(List<Folder> folders, Set<Path> seen, Path path, String source) {
        Path normal = path.toAbsolutePath().normalize();
        if (seen.add(normal)) {
            folders.add(new Folder(normal, source));
        }
    }

    private static List<Path> pathList(String list) {
        List<Path> paths = new ArrayList<>();
        if (list != null) {
            for (String entry : list.split(File.pathSeparator)) {
                if (!entry.isBlank()) {
                    paths.add(Path.of(entry.trim()));
                }
            }
        }
        return paths;
    }

    /** The entries of {@code folder} matching {@code glob}, sorted by name; none when it cannot be listed. */
    private static List<Path> list(Path folder, String glob) {
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        List<Path> entries = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(folder, glob)) {
            stream.forEach(entries::add);
        } catch (IOException e) {
            return List.of();
        }
        entries.sort(null);
        return entries;
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "no message";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
