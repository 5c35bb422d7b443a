package org.isthmus.bench;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.isthmus.kernels.Backend;
import org.isthmus.kernels.Backends;
import org.isthmus.kernels.BinaryOp;
import org.isthmus.kernels.Broadcast;
import org.isthmus.kernels.UnaryOp;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Streaming elementwise ops and reductions on a 64×32×28×28 float tensor (1,605,632 floats,
 * 6.4 MB: past L2, inside L3), heap operands as tensors hold them, next to {@code copy}: a
 * memcpy of the same tensor in the same run, the bandwidth these ops can hope for.
 *
 * <p>The score is the average time per call. GB/s = bytes each call must move / time, with
 * N = 1,605,632: copy, relu, gelu, exp and add (ROW b, 64 rows of 25,088) read and write 4N bytes
 * each way (8N = 12.8 MB); axpy reads x and y and writes y (12N); sumRows (64 sums of 25,088) and
 * sumColumns (25,088 sums of 64) read 4N. The result is checked once per trial against the
 * scalar reference, so a wrong kernel cannot post a time.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ElementwiseBenchmark implements ReportedBenchmark {

    static final int ROWS = 64;
    static final int COLS = 32 * 28 * 28;
    static final int N = ROWS * COLS;
    private static final List<String> BACKENDS_ON_VECTOR_KERNELS = List.of("onednn", "crossover");

    @Param({"vector", "scalar"})
    public String backend;

    @Param({"copy", "relu", "gelu", "exp", "addRow", "axpy", "sumRows", "sumColumns"})
    public String op;

    /** Bytes per call as the class comment counts them: each array read or written once. */
    @Override
    public Work work(String method) {
        return Work.bytes((double) N * switch (op) {
            case "axpy" -> 12;
            case "sumRows", "sumColumns" -> 4;
            default -> 8;
        });
    }

    /** A smoke subset: the copy, a cheap and a transcendental unary op, a broadcast; no scalar reference. */
    @Override
    public Map<String, List<String>> quickParams() {
        return Map.of("backend", List.of("vector"), "op", List.of("copy", "relu", "exp", "addRow"));
    }

    @Override
    public Optional<String> skipReason(String method, Map<String, String> params) {
        return onVectorKernels(params.get("backend"));
    }

    /**
     * Why a backend is left out of the elementwise and pooling reports: onednn (and crossover,
     * which routes to it or to vector) runs those ops on vector's kernels, so its rows would
     * repeat vector's.
     */
    static Optional<String> onVectorKernels(String backend) {
        return BACKENDS_ON_VECTOR_KERNELS.contains(backend)
                ? Optional.of(String.join(" and ", BACKENDS_ON_VECTOR_KERNELS) + " run these ops on vector's kernels")
                : Optional.empty();
    }

    private MemorySegment x;
    private MemorySegment bias;
    private MemorySegment y;
    private Runnable call;

    @Setup(Level.Trial)
    public void setUp() {
        SplittableRandom random = new SplittableRandom(20_251_121L);
        x = MemorySegment.ofArray(randomFloats(random, N));
        bias = MemorySegment.ofArray(randomFloats(random, COLS));
        y = MemorySegment.ofArray(randomFloats(random, N));
        Backend chosen = Backends.get(backend);
        call = bind(chosen, x, bias, y);
        if (!backend.equals("scalar")) {
            verify(chosen);
        }
    }

    @Benchmark
    public MemorySegment run() {
        call.run();
        return y;
    }

    private Runnable bind(Backend b, MemorySegment in, MemorySegment row, MemorySegment out) {
        return switch (op) {
            case "copy" -> () -> MemorySegment.copy(in, 0, out, 0, (long) N * Float.BYTES);
            case "relu" -> () -> b.unary(UnaryOp.RELU, in, out, N);
            case "gelu" -> () -> b.unary(UnaryOp.GELU, in, out, N);
            case "exp" -> () -> b.unary(UnaryOp.EXP, in, out, N);
            case "addRow" -> () -> b.binary(BinaryOp.ADD, in, row, Broadcast.ROW, out, ROWS, COLS);
            // y grows by 1e-3·x a call: stays finite over any run.
            case "axpy" -> () -> b.axpy(N, 1e-3f, in, out);
            case "sumRows" -> () -> b.sum(in, out, ROWS, COLS, 1);
            case "sumColumns" -> () -> b.sum(in, out, 1, ROWS, COLS);
            default -> throw new IllegalArgumentException("unknown op '" + op + "'");
        };
    }

    /**
     * Runs the op once on copies and compares with the scalar reference, float against double: within
     * 1e-5 of max(1, |want|) per element (transcendentals are a few ulps off), and for a sum within 1e-6
     * of the most its terms (|x| &lt; 1) can add up to, as its terms cancel.
     */
    private void verify(Backend chosen) {
        MemorySegment got = copyOf(y);
        MemorySegment want = copyOf(y);
        bind(chosen, copyOf(x), copyOf(bias), got).run();
        bind(Backends.get("scalar"), copyOf(x), copyOf(bias), want).run();
        double scale = switch (op) {
            case "sumRows" -> COLS * 1e-6;
            case "sumColumns" -> ROWS * 1e-6;
            default -> 1e-5;
        };
        for (long i = 0; i < N; i++) {
            float g = got.getAtIndex(ValueLayout.JAVA_FLOAT, i);
            float w = want.getAtIndex(ValueLayout.JAVA_FLOAT, i);
            if (!(Math.abs(g - w) <= scale * Math.max(1, Math.abs(w)))) {
                throw new IllegalStateException(String.format(Locale.ROOT, "%s %s is wrong at %d: %s, reference %s",
                        backend, op, i, g, w));
            }
        }
    }

    private static MemorySegment copyOf(MemorySegment segment) {
        return MemorySegment.ofArray(segment.toArray(ValueLayout.JAVA_FLOAT));
    }

    static float[] randomFloats(SplittableRandom random, int n) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return values;
    }
}
