package org.isthmus.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.isthmus.kernels.Backend;
import org.isthmus.kernels.Backends;
import org.isthmus.kernels.Conv2dShape;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The oneDNN issue's reference shapes for conv2d forward, softmax and layerNorm on a backend
 * ("onednn", "vector", "crossover", ...), with heap operands as tensors hold them (which oneDNN
 * primitives get through a copy into native scratch) or native ones (passed as they are). The result is checked
 * once per trial against the scalar reference (relative error 1e-4 of the output's scale), so a
 * wrong kernel cannot post a time. Figures: conv2d GFLOP/s = 2·N·K·OH·OW·C·kh·kw / s; softmax and
 * layerNorm GB/s = 8·rows·cols / s (one read of x, one write of y). oneDNN's OpenMP threads and the
 * vector kernels both follow -Disthmus.threads (pass it with -jvmArgsAppend).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class OneDnnLayerBenchmark {

    @Param({"onednn", "vector"})
    public String implementation;

    /** conv:N_C_H_W_K_kernel_pad (stride 1; not commas, which JMH splits -p values at), softmax:ROWSxCOLS, layerNorm:ROWSxCOLS. */
    @Param({"conv:64_1_28_28_32_3_1", "conv:64_32_14_14_64_3_1", "conv:32_64_56_56_64_3_1",
            "softmax:4096x1024", "layerNorm:4096x1024"})
    public String op;

    /** "heap": {@code MemorySegment.ofArray}; "native": off-heap, what the C reference uses. */
    @Param({"heap", "native"})
    public String memory;

    private final Arena arena = Arena.ofShared();
    private Runnable call;
    private MemorySegment out;

    @Setup(Level.Trial)
    public void setUp() {
        String[] parts = op.split(":");
        SplittableRandom random = new SplittableRandom(20_261_121L);
        Backend backend = Backends.get(implementation);
        Backend reference = Backends.get("scalar");
        switch (parts[0]) {
            case "conv" -> {
                int[] p = java.util.Arrays.stream(parts[1].split("_")).mapToInt(Integer::parseInt).toArray();
                Conv2dShape s = new Conv2dShape(p[0], p[1], p[2], p[3], p[4], p[5], p[5], 1, 1, p[6], p[6], 1, 1);
                MemorySegment x = random(s.inputSize(), random);
                MemorySegment w = random(s.weightSize(), random);
                MemorySegment bias = random(s.outChannels(), random);
                out = place(new float[(int) s.outputSize()]);
                MemorySegment y = out;
                call = () -> backend.conv2d(s, x, w, bias, y);
                MemorySegment expected = MemorySegment.ofArray(new float[(int) s.outputSize()]);
                reference.conv2d(s, x, w, bias, expected);
                verify(expected);
            }
            case "softmax", "layerNorm" -> {
                String[] dims = parts[1].split("x");
                int rows = Integer.parseInt(dims[0]);
                int cols = Integer.parseInt(dims[1]);
                MemorySegment x = random((long) rows * cols, random);
                out = place(new float[rows * cols]);
                MemorySegment y = out;
                MemorySegment expected = MemorySegment.ofArray(new float[rows * cols]);
                if (parts[0].equals("softmax")) {
                    call = () -> backend.softmax(x, y, rows, cols);
                    reference.softmax(x, expected, rows, cols);
                } else {
                    MemorySegment gamma = random(cols, random);
                    MemorySegment beta = random(cols, random);
                    call = () -> backend.layerNorm(x, gamma, beta, y, null, null, rows, cols, 1e-5f);
                    reference.layerNorm(x, gamma, beta, expected, null, null, rows, cols, 1e-5f);
                }
                verify(expected);
            }
            default -> throw new IllegalArgumentException("unknown op " + op);
        }
    }

    @Benchmark
    public MemorySegment run() {
        call.run();
        return out;
    }

    private void verify(MemorySegment expected) {
        call.run();
        float[] want = expected.toArray(ValueLayout.JAVA_FLOAT);
        float[] got = out.toArray(ValueLayout.JAVA_FLOAT);
        double scale = 1e-30;
        double worst = 0;
        for (int i = 0; i < want.length; i++) {
            scale = Math.max(scale, Math.abs(want[i]));
            worst = Math.max(worst, Math.abs((double) got[i] - want[i]));
        }
        if (!(worst / scale <= 1e-4)) {
            throw new IllegalStateException(implementation + " " + op + " is wrong: relative error " + worst / scale);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    private MemorySegment random(long n, SplittableRandom random) {
        float[] values = new float[Math.toIntExact(n)];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return place(values);
    }

    private MemorySegment place(float[] values) {
        if (memory.equals("heap")) {
            return MemorySegment.ofArray(values);
        }
        MemorySegment copy = arena.allocate((long) values.length * Float.BYTES, 64);
        MemorySegment.copy(values, 0, copy, ValueLayout.JAVA_FLOAT, 0, values.length);
        return copy;
    }
}
