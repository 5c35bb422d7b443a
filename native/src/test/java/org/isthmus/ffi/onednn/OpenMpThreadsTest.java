package org.isthmus.ffi.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.isthmus.kernels.Backend;
import org.isthmus.kernels.Backends;
import org.isthmus.kernels.Conv2dShape;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * oneDNN's OpenMP threads wait passively unless the user set OMP_WAIT_POLICY, and follow {@code -Disthmus.threads} (over {@code OMP_NUM_THREADS}), else
 * {@code OMP_NUM_THREADS}, on every Java thread that calls it. Each case runs in a fresh JVM: the
 * count is read once per JVM, and OpenMP reads its environment when it loads.
 */
class OpenMpThreadsTest {

    @Test
    void isthmusThreadsWinsOverOmpNumThreadsOnEveryCallingThread() throws Exception {
        String output = runProbe(List.of("-Disthmus.threads=1"), Map.of("OMP_NUM_THREADS", "3"));
        assertTrue(output.contains("OpenMP (libgomp.so.1) on 1 thread(s), from -Disthmus.threads"), output);
        assertEquals(List.of("sgemm 1", "conv2d 1", "softmax 1"), probeLines(output), output);
    }

    @Test
    void ompNumThreadsStandsWhenIsthmusThreadsIsNotGiven() throws Exception {
        String output = runProbe(List.of(), Map.of("OMP_NUM_THREADS", "3"));
        assertTrue(output.contains("OpenMP (libgomp.so.1) on OMP_NUM_THREADS=3 thread(s)"), output);
        assertEquals(List.of("sgemm 3", "conv2d 3", "softmax 3"), probeLines(output), output);
    }

    /** OMP_DISPLAY_ENV makes libgomp print the settings it read when it loaded. */
    @Test
    void openMpWaitsPassivelyUnlessTheUserChose() throws Exception {
        String unset = runProbe(List.of(), Map.of("OMP_DISPLAY_ENV", "true"));
        assertTrue(unset.contains("OMP_WAIT_POLICY = 'PASSIVE'"), unset);
        assertTrue(unset.contains("passive waiting (OMP_WAIT_POLICY=PASSIVE, set by Isthmus)"), unset);
        String chosen = runProbe(List.of(), Map.of("OMP_DISPLAY_ENV", "true", "OMP_WAIT_POLICY", "active"));
        assertTrue(chosen.contains("OMP_WAIT_POLICY = 'ACTIVE'"), chosen);
        assertTrue(chosen.contains("OMP_WAIT_POLICY=active as set"), chosen);
    }

    private static List<String> probeLines(String output) {
        return output.lines().filter(line -> line.startsWith("probe ")).map(line -> line.substring(6)).toList();
    }

    private static String runProbe(List<String> properties, Map<String, String> environment)
            throws IOException, InterruptedException {
        NativeChecks.oneDnn();
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> command = new ArrayList<>(List.of(java.toString(), "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED"));
        command.addAll(properties);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Probe.class.getName()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().remove("OMP_NUM_THREADS");
        builder.environment().remove("OMP_WAIT_POLICY");
        builder.environment().putAll(environment);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), output);
        assertEquals(0, process.exitValue(), output);
        return output;
    }

    /**
     * Runs in the forked JVM: one oneDNN call per op on a fresh thread each, then prints that
     * thread's {@code omp_get_max_threads()}, the count its next parallel region would use.
     */
    static final class Probe {
        public static void main(String[] args) throws Exception {
            Backend oneDnn = Backends.get(OneDnnBackend.NAME);
            System.out.println(oneDnn.description());
            // Among libdnnl's libraries, so this is the OpenMP oneDNN uses.
            MethodHandle getMaxThreads = Linker.nativeLinker().downcallHandle(
                    SymbolLookup.loaderLookup().findOrThrow("omp_get_max_threads"),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT));
            MemorySegment a = MemorySegment.ofArray(new float[64 * 64]);
            onFreshThread("sgemm", getMaxThreads, () -> oneDnn.sgemm(false, false, 64, 64, 64, 1f, a, 0, 64, a, 0, 64,
                    0f, MemorySegment.ofArray(new float[64 * 64]), 0, 64));
            Conv2dShape shape = new Conv2dShape(2, 3, 8, 8, 4, 3, 3, 1, 1, 1, 1, 1, 1);
            onFreshThread("conv2d", getMaxThreads, () -> oneDnn.conv2d(shape,
                    MemorySegment.ofArray(new float[(int) shape.inputSize()]),
                    MemorySegment.ofArray(new float[(int) shape.weightSize()]), null,
                    MemorySegment.ofArray(new float[(int) shape.outputSize()])));
            onFreshThread("softmax", getMaxThreads,
                    () -> oneDnn.softmax(a, MemorySegment.ofArray(new float[64 * 64]), 64, 64));
        }

        private static void onFreshThread(String op, MethodHandle getMaxThreads, Runnable call)
                throws InterruptedException {
            Thread thread = Thread.ofPlatform().start(() -> {
                call.run();
                try {
                    System.out.println("probe " + op + " " + (int) getMaxThreads.invokeExact());
                } catch (Throwable e) {
                    throw new IllegalStateException(e);
                }
            });
            thread.join();
        }
    }
}
