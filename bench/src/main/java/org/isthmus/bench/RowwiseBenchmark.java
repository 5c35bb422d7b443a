package org.isthmus.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.isthmus.kernels.Backend;
import org.isthmus.kernels.Backends;
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
 * The row-wise kernels, memory-bound: softmax, logSoftmax and layerNorm forward, softmax and
 * layerNorm backward, over a rows×cols float matrix on heap or native segments, next to
 * {@link #copy} of the same bytes in the same memory as the ceiling. Each kernel's output is
 * checked once per trial against the scalar reference, so a wrong kernel cannot post a time.
 *
 * <p>GB/s = bytes / seconds per call, counting each array read or written once (what a kernel
 * that streams it from memory must move): softmax, logSoftmax and copy 2·rows·cols·4 (x in, y
 * out); layerNorm the same plus gamma, beta (cols) and mean, rstd (rows); softmaxBackward
 * 3·rows·cols·4 (y, dy in, dx out); layerNormBackward the same plus gamma, mean, rstd, dGamma and
 * dBeta. The copy splits over the same {@code -Disthmus.threads} threads as the kernels.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RowwiseBenchmark implements ReportedBenchmark {

    private static final long SEED = 20_251_121L;
    private static final float EPS = 1e-5f;
    /** Relative norm error allowed against the scalar reference: the kernels' own tests use 1e-5. */
    private static final double TOLERANCE = 1e-5;

    /** Any name {@link Backends#get(String)} knows. */
    @Param({"vector"})
    public String backend;

    /** rows x cols. */
    @Param({"4096x1024", "65536x128"})
    public String shape;

    /**
     * Where the operands live: {@code heap} (float[], what tensors use by default) or {@code native}
     * (one shared arena): the oneDNN backend reads native operands in place and stages heap ones.
     */
    @Param({"heap", "native"})
    public String memory;

    private Backend kernels;
    private Arena arena;
    private int rows;
    private int cols;
    private MemorySegment x;
    private MemorySegment y;
    private MemorySegment dy;
    private MemorySegment dx;
    private MemorySegment softmaxOut;
    private MemorySegment gamma;
    private MemorySegment beta;
    private MemorySegment mean;
    private MemorySegment rstd;
    private MemorySegment dGamma;
    private MemorySegment dBeta;

    /** Bytes per call: each array read or written once. */
    @Override
    public Work work(String method) {
        String[] dims = shape.toLowerCase(Locale.ROOT).split("x");
        double r = Integer.parseInt(dims[0].trim());
        double c = Integer.parseInt(dims[1].trim());
        double matrix = r * c * Float.BYTES;
        return Work.bytes(switch (method) {
            case "softmax", "logSoftmax", "copy", "loopCopy" -> 2 * matrix;
            case "layerNorm" -> 2 * matrix + (2 * c + 2 * r) * Float.BYTES;
            case "softmaxBackward" -> 3 * matrix;
            case "layerNormBackward" -> 3 * matrix + (3 * c + 2 * r) * Float.BYTES;
            default -> throw new IllegalArgumentException("unknown method " + method);
        });
    }

    @Override
    public Map<String, List<String>> quickParams() {
        return Map.of("shape", List.of("4096x1024"), "memory", List.of("heap"));
    }

    /** The forward kernels the bar names, and the copy they are shown next to. */
    @Override
    public Set<String> quickMethods() {
        return Set.of("softmax", "logSoftmax", "layerNorm", CEILING_OP);
    }

    @Override
    public Set<String> implementationIndependentOps() {
        return Set.of(CEILING_OP, "loopCopy");
    }

    @Setup(Level.Trial)
    public void setUp() {
        String[] dims = shape.toLowerCase(Locale.ROOT).split("x");
        rows = Integer.parseInt(dims[0].trim());
        cols = Integer.parseInt(dims[1].trim());
        int size = Math.multiplyExact(rows, cols);
        kernels = Backends.get(backend);
        arena = switch (memory) {
            case "heap" -> null;
            case "native" -> Arena.ofShared();
            default -> throw new IllegalArgumentException("memory must be heap or native, not " + memory);
        };
        SplittableRandom random = new SplittableRandom(SEED);
        x = operand(random(random, size, -4, 4));
        y = operand(new float[size]);
        dy = operand(random(random, size, -1, 1));
        dx = operand(new float[size]);
        softmaxOut = operand(new float[size]);
        gamma = operand(random(random, cols, 0.5, 1.5));
        beta = operand(random(random, cols, -1, 1));
        mean = operand(new float[rows]);
        rstd = operand(new float[rows]);
        dGamma = operand(new float[cols]);
        dBeta = operand(new float[cols]);
        verify();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (arena != null) {
            arena.close();
        }
    }

    /** values on the heap (the array itself) or copied into the arena. */
    private MemorySegment operand(float[] values) {
        if (arena == null) {
            return MemorySegment.ofArray(values);
        }
        MemorySegment segment = arena.allocate(ValueLayout.JAVA_FLOAT, values.length);
        MemorySegment.copy(values, 0, segment, ValueLayout.JAVA_FLOAT, 0, values.length);
        return segment;
    }

    @Benchmark
    public MemorySegment softmax() {
        kernels.softmax(x, y, rows, cols);
        return y;
    }

    @Benchmark
    public MemorySegment logSoftmax() {
        kernels.logSoftmax(x, y, rows, cols);
        return y;
    }

    @Benchmark
    public MemorySegment layerNorm() {
        kernels.layerNorm(x, gamma, beta, y, mean, rstd, rows, cols, EPS);
        return y;
    }

    @Benchmark
    public MemorySegment softmaxBackward() {
        kernels.softmaxBackward(softmaxOut, dy, dx, rows, cols);
        return dx;
    }

    @Benchmark
    public MemorySegment layerNormBackward() {
        kernels.layerNormBackward(x, gamma, mean, rstd, dy, dx, dGamma, dBeta, rows, cols);
        return dx;
    }

    /** The ceiling: x copied to y, split over the kernels' threads (the JVM's intrinsic bulk copy, heap or native). */
    @Benchmark
    public MemorySegment copy() {
        ThreadedCopy.copy(x, y, rows * cols);
        return y;
    }

    /**
     * The same copy as a plain loop: ordinary stores, as the kernels make, where the copy runs the
     * JVM's intrinsic bulk copy. Over the arrays on the heap (C2 vectorizes it), element by element over the
     * segments on native memory.
     */
    @Benchmark
    public MemorySegment loopCopy() {
        if (arena == null) {
            float[] from = (float[]) x.heapBase().orElseThrow();
            float[] to = (float[]) y.heapBase().orElseThrow();
            ThreadedCopy.overThreads(rows * cols, (start, end) -> copyRange(from, to, start, end));
        } else {
            ThreadedCopy.overThreads(rows * cols, (start, end) -> copyRange(x, y, start, end));
        }
        return y;
    }

    private static void copyRange(float[] from, float[] to, int start, int end) {
        for (int i = start; i < end; i++) {
            to[i] = from[i];
        }
    }

    private static void copyRange(MemorySegment from, MemorySegment to, int start, int end) {
        for (int i = start; i < end; i++) {
            to.setAtIndex(ValueLayout.JAVA_FLOAT, i, from.getAtIndex(ValueLayout.JAVA_FLOAT, i));
        }
    }

    /** Each benchmarked call against the scalar reference; leaves mean, rstd and softmaxOut as the backward passes need. */
    private void verify() {
        Backend reference = Backends.get("scalar");
        int size = rows * cols;
        check("softmax", () -> kernels.softmax(x, y, rows, cols), y,
                out -> reference.softmax(x, out, rows, cols), size);
        check("logSoftmax", () -> kernels.logSoftmax(x, y, rows, cols), y,
                out -> reference.logSoftmax(x, out, rows, cols), size);
        check("layerNorm", () -> kernels.layerNorm(x, gamma, beta, y, mean, rstd, rows, cols, EPS), y,
                out -> reference.layerNorm(x, gamma, beta, out, null, null, rows, cols, EPS), size);
        reference.softmax(x, softmaxOut, rows, cols);
        check("softmaxBackward", () -> kernels.softmaxBackward(softmaxOut, dy, dx, rows, cols), dx,
                out -> reference.softmaxBackward(softmaxOut, dy, out, rows, cols), size);
        check("layerNormBackward", () -> kernels.layerNormBackward(x, gamma, mean, rstd, dy, dx, dGamma, dBeta, rows,
                cols), dx, out -> reference.layerNormBackward(x, gamma, mean, rstd, dy, out, null, null, rows, cols), size);
        y.fill((byte) 0);
        copy();
        if (x.mismatch(y) >= 0) {
            throw new IllegalStateException("copy is wrong");
        }
        y.fill((byte) 0);
        loopCopy();
        if (x.mismatch(y) >= 0) {
            throw new IllegalStateException("loopCopy is wrong");
        }
    }

    private void check(String op, Runnable call, MemorySegment out, Consumer<MemorySegment> expected,
                       int size) {
        out.fill((byte) 0xFF); // every float NaN: an element the kernel skips shows
        call.run();
        MemorySegment want = MemorySegment.ofArray(new float[size]);
        expected.accept(want);
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < size; i++) {
            double d = out.getAtIndex(ValueLayout.JAVA_FLOAT, i)
                    - (double) want.getAtIndex(ValueLayout.JAVA_FLOAT, i);
            double w = want.getAtIndex(ValueLayout.JAVA_FLOAT, i);
            diff += d * d;
            norm += w * w;
        }
        double error = Math.sqrt(diff / norm);
        if (!(error <= TOLERANCE)) { // also catches NaN
            throw new IllegalStateException(String.format(Locale.ROOT, "%s %s %s is wrong: relative error %.3g > %.3g",
                    backend, op, shape, error, TOLERANCE));
        }
    }

    private static float[] random(SplittableRandom random, int n, double low, double high) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) random.nextDouble(low, high);
        }
        return values;
    }
}
