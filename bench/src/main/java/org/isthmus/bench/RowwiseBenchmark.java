package org.isthmus.bench;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.isthmus.kernels.Backend;
import org.isthmus.kernels.Backends;
import org.isthmus.kernels.Parallelism;
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
 * The row-wise kernels, memory-bound: softmax, logSoftmax and layerNorm forward, softmax and
 * layerNorm backward, over a rows×cols float matrix on heap segments, next to {@link #copy} of the
 * same bytes as the ceiling. Each kernel's output is checked once per trial against the scalar
 * reference, so a wrong kernel cannot post a time.
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

    private Backend kernels;
    private int rows;
    private int cols;
    private float[] source;
    private float[] target;
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
        return Map.of("shape", List.of("4096x1024"));
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
        SplittableRandom random = new SplittableRandom(SEED);
        source = random(random, size, -4, 4);
        target = new float[size];
        x = MemorySegment.ofArray(source);
        y = MemorySegment.ofArray(target);
        dy = MemorySegment.ofArray(random(random, size, -1, 1));
        dx = MemorySegment.ofArray(new float[size]);
        softmaxOut = MemorySegment.ofArray(new float[size]);
        gamma = MemorySegment.ofArray(random(random, cols, 0.5, 1.5));
        beta = MemorySegment.ofArray(random(random, cols, -1, 1));
        mean = MemorySegment.ofArray(new float[rows]);
        rstd = MemorySegment.ofArray(new float[rows]);
        dGamma = MemorySegment.ofArray(new float[cols]);
        dBeta = MemorySegment.ofArray(new float[cols]);
        verify();
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

    /** The ceiling: x copied to y, split over the kernels' threads. */
    @Benchmark
    public float[] copy() {
        overThreads((from, to) -> System.arraycopy(source, from, target, from, to - from));
        return target;
    }

    /**
     * The same copy as a plain loop (C2 vectorizes it): ordinary stores, as the kernels make,
     * where System.arraycopy runs the JVM's copy stub.
     */
    @Benchmark
    public float[] loopCopy() {
        overThreads((from, to) -> copyRange(source, target, from, to));
        return target;
    }

    private static void copyRange(float[] from, float[] to, int start, int end) {
        for (int i = start; i < end; i++) {
            to[i] = from[i];
        }
    }

    /** Runs range over [0, rows·cols) cut into one equal slice per thread of the library pool. */
    private void overThreads(CopyRange range) {
        int threads = Parallelism.threads();
        int size = source.length;
        if (threads == 1) {
            range.run(0, size);
            return;
        }
        Parallelism.run(threads, p -> range.run((int) ((long) size * p / threads), (int) ((long) size * (p + 1) / threads)));
    }

    /** Elements [from, to) of a copy. */
    @FunctionalInterface
    private interface CopyRange {
        void run(int from, int to);
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
        copy();
        if (!Arrays.equals(source, target)) {
            throw new IllegalStateException("copy is wrong");
        }
        Arrays.fill(target, 0f);
        loopCopy();
        if (!Arrays.equals(source, target)) {
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
