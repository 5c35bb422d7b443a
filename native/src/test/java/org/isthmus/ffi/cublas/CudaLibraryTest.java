package org.isthmus.ffi.cublas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Finding the CUDA libraries (a fake folder tree, no GPU needed) and the reasons loading them fails. */
class CudaLibraryTest {

    private static final Path REAL_RUNTIME = Path.of("/usr/local/cuda/lib64/libcudart.so.13");

    @Test
    void foldersAreSearchedInTheDocumentedOrder(@TempDir Path root) throws IOException {
        Path javaPath = root.resolve("java-path");
        Path ldPath = root.resolve("ld-path");
        Path system = root.resolve("system");
        Path cudaHome = root.resolve("cuda");
        Path usrSite = Files.createDirectories(root.resolve("usr/lib/python3.12/dist-packages/nvidia/cuda_runtime/lib"));
        Path usrCublas = Files.createDirectories(root.resolve("usr/lib/python3.12/dist-packages/nvidia/cublas/lib"));
        Path userSite = Files.createDirectories(root.resolve("home/.local/lib/python3.11/site-packages/nvidia/cu13/lib"));
        Path venv = Files.createDirectories(root.resolve("venv/lib/python3.13/site-packages/nvidia/cublas/lib"));
        Path conda = Files.createDirectories(root.resolve("conda/lib/python3.10/site-packages/nvidia/cuda_runtime/lib"));
        Files.createDirectories(root.resolve("usr/lib/python3.12/dist-packages/nvidia/cudnn/lib"));
        Map<String, String> environment = new HashMap<>();
        environment.put("LD_LIBRARY_PATH", ldPath + ":" + javaPath);
        environment.put("CUDA_HOME", cudaHome.toString());
        environment.put("VIRTUAL_ENV", root.resolve("venv").toString());
        environment.put("CONDA_PREFIX", root.resolve("conda").toString());
        CudaLibrary.Surroundings surroundings = new CudaLibrary.Surroundings(environment, javaPath.toString(),
                root.resolve("home"), List.of(system), List.of(root.resolve("usr")));

        List<CudaLibrary.Folder> folders = CudaLibrary.searchFolders(surroundings);

        assertEquals(List.of(javaPath, ldPath, system, cudaHome.resolve("lib64"), usrSite, usrCublas, userSite,
                        venv, conda),
                folders.stream().map(CudaLibrary.Folder::path).toList(), "order, each folder once");
        assertEquals(List.of("system library path", "system library path", "system library path", "CUDA_HOME/lib64",
                        "Python package", "Python package", "Python package", "Python package", "Python package"),
                folders.stream().map(CudaLibrary.Folder::source).toList());
    }

    @Test
    void theExplicitFolderIsTheOnlyOneSearched(@TempDir Path root) {
        Map<String, String> environment = Map.of(CudaLibrary.ENVIRONMENT_VARIABLE, root.toString(),
                "CUDA_HOME", "/opt/cuda", "LD_LIBRARY_PATH", "/opt/lib");
        List<CudaLibrary.Folder> folders = CudaLibrary.searchFolders(new CudaLibrary.Surroundings(environment,
                "/usr/lib", root, List.of(Path.of("/usr/lib")), List.of(Path.of("/usr"))));
        assertEquals(List.of(new CudaLibrary.Folder(root, CudaLibrary.ENVIRONMENT_VARIABLE)), folders);
    }

    @Test
    void theNewestSonameWithBothLibrariesWinsAndEachComesFromItsFirstFolder(@TempDir Path root) throws IOException {
        Path first = Files.createDirectories(root.resolve("first"));
        Path second = Files.createDirectories(root.resolve("second"));
        Path third = Files.createDirectories(root.resolve("third"));
        touch(first.resolve("libcudart.so.13"));       // 13 has no cuBLAS anywhere: 12 is taken
        touch(second.resolve("libcublas.so.12"));
        touch(second.resolve("libcudart.so.12"));
        touch(third.resolve("libcudart.so.12"));
        List<CudaLibrary.Folder> folders = List.of(new CudaLibrary.Folder(first, "a"),
                new CudaLibrary.Folder(second, "b"), new CudaLibrary.Folder(third, "c"));

        CudaLibrary.Found found = CudaLibrary.find(folders).orElseThrow();
        assertEquals(12, found.version());
        assertEquals(second.resolve("libcudart.so.12"), found.runtime());
        assertEquals(second.resolve("libcublas.so.12"), found.cublas());

        touch(third.resolve("libcublas.so.13"));
        found = CudaLibrary.find(folders).orElseThrow();
        assertEquals(13, found.version());
        assertEquals(first.resolve("libcudart.so.13"), found.runtime());
        assertEquals(third.resolve("libcublas.so.13"), found.cublas());
    }

    @Test
    void nothingFoundNamesEveryFolderSearched(@TempDir Path root) {
        Path lib = root.resolve("lib");
        Path cuda = root.resolve("cuda");
        CudaLibrary.LoadFailure failure = assertThrows(CudaLibrary.LoadFailure.class, () -> CudaLibrary.load(
                new CudaLibrary.Surroundings(Map.of("CUDA_HOME", cuda.toString()), "", root, List.of(lib), List.of())));
        String reason = failure.getMessage();
        assertTrue(reason.startsWith("no folder pair holds libcudart.so.N and libcublas.so.N for N in [13, 12]"), reason);
        assertTrue(reason.contains("searched 2 folder(s): [" + lib + " (system library path), " + cuda.resolve("lib64")
                + " (CUDA_HOME/lib64)]"), reason);
        assertTrue(reason.endsWith("set ISTHMUS_CUDA_LIB_DIR to the folder holding them"), reason);
        assertFalse(reason.contains("\n"), "one line");
    }

    @Test
    void aFileThatIsNotALibraryIsTheReasonWithTheLinkerErrorAsCause(@TempDir Path root) throws IOException {
        touch(root.resolve("libcudart.so.12"));
        touch(root.resolve("libcublas.so.12"));
        CudaLibrary.LoadFailure failure = assertThrows(CudaLibrary.LoadFailure.class, () -> CudaLibrary.load(
                new CudaLibrary.Surroundings(Map.of(CudaLibrary.ENVIRONMENT_VARIABLE, root.toString()), "", root,
                        List.of(), List.of())));
        assertTrue(failure.getMessage().startsWith("cannot load " + root.resolve("libcudart.so.12") + " (from "
                + CudaLibrary.ENVIRONMENT_VARIABLE + "): "), failure.getMessage());
        assertFalse(failure.getMessage().contains("\n"), "one line");
        assertInstanceOf(UnsatisfiedLinkError.class, failure.getCause());
    }

    @Test
    void anExplicitFolderWithoutTheLibrariesIsNotReplacedByAnother(@TempDir Path root) {
        CudaLibrary.LoadFailure failure = assertThrows(CudaLibrary.LoadFailure.class, () -> CudaLibrary.load(
                new CudaLibrary.Surroundings(Map.of(CudaLibrary.ENVIRONMENT_VARIABLE, root.toString()),
                        "/usr/local/cuda/lib64", root, CudaLibrary.SYSTEM_FOLDERS, CudaLibrary.PYTHON_PREFIXES)));
        assertTrue(failure.getMessage().endsWith("searched 1 folder(s): [" + root + " (ISTHMUS_CUDA_LIB_DIR)]"),
                failure.getMessage());
    }

    /**
     * Where a real CUDA runtime is installed (this project's CI machine has CUDA 13's runtime from the
     * nvidia-cuda-runtime wheel, no driver and no cuBLAS): it loads, and the reason is the runtime's own.
     */
    @Test
    void aRealRuntimeWithoutAGpuOrCublasSaysWhy(@TempDir Path root) throws IOException {
        assumeTrue(Files.isRegularFile(REAL_RUNTIME), "no CUDA runtime at " + REAL_RUNTIME);
        Files.createSymbolicLink(root.resolve("libcudart.so.13"), REAL_RUNTIME);
        CudaLibrary.LoadFailure failure = assertThrows(CudaLibrary.LoadFailure.class, () -> CudaLibrary.load(
                new CudaLibrary.Surroundings(Map.of(CudaLibrary.ENVIRONMENT_VARIABLE, root.toString()), "", root,
                        List.of(), List.of())));
        String reason = failure.getMessage();
        // No driver: cudaGetDeviceCount's own error text; a driver with a GPU (or, in one JVM, a runtime
        // loaded before, whose symbols the bindings then keep): the GPUs it sees and the missing cuBLAS.
        assertTrue(reason.startsWith("loaded " + root.resolve("libcudart.so.13") + " (from ISTHMUS_CUDA_LIB_DIR), but "
                + "there is no usable GPU: CUDA runtime: cudaGetDeviceCount failed with status")
                || reason.startsWith("the CUDA runtime " + root.resolve("libcudart.so.13") + " sees "), reason);
        assertTrue(reason.contains("no folder pair holds libcudart.so.N and libcublas.so.N"), reason);
    }

    private static void touch(Path file) throws IOException {
        Files.writeString(file, "not an ELF file");
    }
}
