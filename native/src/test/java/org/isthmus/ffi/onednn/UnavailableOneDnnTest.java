package org.isthmus.ffi.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.isthmus.kernels.Backend;
import org.isthmus.kernels.Backends;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A bogus {@code ISTHMUS_ONEDNN_LIB} in a fresh JVM (the library loads once per JVM): both oneDNN
 * backends report "unavailable" with the reason, nothing crashes, and {@code auto} computes on vector.
 */
class UnavailableOneDnnTest {

    @Test
    void aBogusLibraryPathLeavesAutoWorking() throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder builder = new ProcessBuilder(java.toString(), "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                Probe.class.getName()).redirectErrorStream(true);
        builder.environment().put(OneDnnLibrary.ENVIRONMENT_VARIABLE, "/nonexistent/libdnnl.so.3");
        builder.environment().remove("ISTHMUS_BACKEND");
        // On a machine with a GPU, auto would pick the GPU backend: this test is about oneDNN's absence.
        builder.environment().put("ISTHMUS_CUDA_LIB_DIR", "/nonexistent");
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), output);
        assertEquals(0, process.exitValue(), output);
        assertTrue(output.contains("isthmus.backend=auto -> vector"), output);
        for (String backend : List.of("onednn", "crossover")) {
            assertTrue(output.lines().anyMatch(line -> line.trim().startsWith(backend) && line.contains("unavailable")
                    && line.contains("ISTHMUS_ONEDNN_LIB=/nonexistent/libdnnl.so.3 is not a file")), output);
        }
        assertTrue(output.contains("auto computed 19.0 on vector"), output);
    }

    /** Runs in the forked JVM: describes the backends, then computes one dot product on {@code auto}. */
    static final class Probe {
        public static void main(String[] args) {
            System.out.println(Backends.describe());
            Backend auto = Backends.current();
            MemorySegment c = MemorySegment.ofArray(new float[1]);
            auto.sgemm(false, false, 1, 1, 2, 1f, MemorySegment.ofArray(new float[] {1, 2}), 0, 2,
                    MemorySegment.ofArray(new float[] {5, 7}), 0, 1, 0f, c, 0, 1);
            System.out.println("auto computed " + c.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, 0) + " on "
                    + auto.name());
        }
    }
}
