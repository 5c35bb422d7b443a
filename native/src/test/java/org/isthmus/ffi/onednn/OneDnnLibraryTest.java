package org.isthmus.ffi.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** Finding and loading libdnnl: the class-path artifact, its cache, and the failures that make the backend unavailable. */
class OneDnnLibraryTest {

    @Test
    void loadsAVersion3Library() throws Exception {
        NativeChecks.oneDnn();
        OneDnnLibrary.Loaded loaded = OneDnnLibrary.get();
        assertTrue(Files.isRegularFile(loaded.path()), loaded.toString());
        assertTrue(Integer.parseInt(loaded.version().split("\\.")[0]) >= 3, loaded.toString());
    }

    @Test
    void aBogusExplicitFileIsTheReasonNotAFallback(@TempDir Path cache) {
        OneDnnLibrary.LoadFailure failure = assertThrows(OneDnnLibrary.LoadFailure.class,
                () -> OneDnnLibrary.load("/nonexistent/libdnnl.so.3", List::of, cache));
        assertEquals("ISTHMUS_ONEDNN_LIB=/nonexistent/libdnnl.so.3 is not a file", failure.getMessage());
    }

    @Test
    void anUnloadableFileKeepsTheLinkerErrorAsCause(@TempDir Path folder) throws Exception {
        Path garbage = Files.writeString(folder.resolve("libdnnl.so.3"), "not an ELF file");
        OneDnnLibrary.LoadFailure failure = assertThrows(OneDnnLibrary.LoadFailure.class,
                () -> OneDnnLibrary.load(garbage.toString(), List::of, folder));
        assertTrue(failure.getMessage().startsWith("cannot load " + garbage), failure.getMessage());
        assertTrue(!failure.getMessage().contains("\n"), "one line");
        assertInstanceOf(UnsatisfiedLinkError.class, failure.getCause());
    }

    @Test
    void theSystemPathComesBeforeTheArtifact(@TempDir Path folder) throws Exception {
        Path fake = Files.writeString(folder.resolve(OneDnnLibrary.LIBRARY_FILE), "not an ELF file");
        OneDnnLibrary.LoadFailure failure = assertThrows(OneDnnLibrary.LoadFailure.class,
                () -> OneDnnLibrary.load(null, () -> List.of(folder), folder.resolve("cache")));
        assertTrue(failure.getMessage().contains(fake + " (from system library path)"), failure.getMessage());
    }

    /** Two JVMs starting at once are modelled by two threads extracting into the same empty cache. */
    @Test
    void theArtifactIsCopiedOnceIntoAContentAddressedFolder(@TempDir Path cache) throws Exception {
        NativeChecks.oneDnn();
        CyclicBarrier start = new CyclicBarrier(2);
        Callable<Optional<Path>> extract = () -> {
            start.await();
            return OneDnnLibrary.extractArtifact(cache);
        };
        try (ExecutorService pool = Executors.newFixedThreadPool(2)) {
            Future<Optional<Path>> first = pool.submit(extract);
            Future<Optional<Path>> second = pool.submit(extract);
            Path library = first.get().orElseThrow();
            assertEquals(library, second.get().orElseThrow());
            String folder = library.getParent().getFileName().toString();
            assertTrue(folder.matches("crc32-[0-9a-f]{8}-[0-9]+|sha256-[0-9a-f]{64}"), library.toString());
            if (folder.startsWith("crc32-")) {
                java.util.zip.CRC32 crc = new java.util.zip.CRC32();
                try (var in = Files.newInputStream(library)) {
                    byte[] buffer = new byte[1 << 16];
                    for (int read; (read = in.read(buffer)) > 0; ) {
                        crc.update(buffer, 0, read);
                    }
                }
                assertEquals(folder, String.format("crc32-%08x-%d", crc.getValue(), Files.size(library)),
                        "the folder names the copy's content");
            }
            long expectedSize;
            try (var in = OneDnnLibrary.class.getClassLoader()
                    .getResourceAsStream(OneDnnLibrary.ARTIFACT_FOLDER + OneDnnLibrary.LIBRARY_FILE)) {
                expectedSize = in.transferTo(java.io.OutputStream.nullOutputStream());
            }
            assertEquals(expectedSize, Files.size(library));
            try (var files = Files.list(library.getParent())) {
                assertEquals(List.of("libdnnl.so.3", "libgomp.so.1"),
                        files.map(p -> p.getFileName().toString()).sorted().toList(), "no temporary files left");
            }
        }
    }

    @Test
    void aFailedCallNamesTheFunctionAndTheStatus() {
        NativeChecks.oneDnn();
        OneDnnException failure = assertThrows(OneDnnException.class, () -> {
            try (OneDnn.Descriptors d = new OneDnn.Descriptors()) {
                d.plain(org.isthmus.ffi.onednn.bindings.dnnl_h.dnnl_ab(), -3, 4);
            }
        });
        assertEquals("dnnl_memory_desc_create_with_tag", failure.function());
        assertEquals(2, failure.status());
        assertTrue(failure.getMessage().contains("invalid_arguments"), failure.getMessage());
    }
}
