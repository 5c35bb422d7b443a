package org.isthmus.bench;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.isthmus.kernels.Backend;
import org.isthmus.kernels.Backends;
import org.isthmus.kernels.Pool2dShape;
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
 * 2×2 pooling, stride 2, on a 64×32×28×28 input (N = 1,605,632 floats, 6.4 MB), heap operands,
 * next to {@code copy}: a memcpy of the input in the same run.
 *
 * <p>The score is the average time per call. GB/s = bytes each call must move / time: copy 8N
 * (read and write the input); maxPool2d reads 4N and writes N/4 floats and N/4 int32 argmax (6N);
 * maxPool2dBackward reads dy and argmax (2N) and writes dx (4N): 6N; avgPool2d 5N. Results are
 * checked once per trial against the scalar reference.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PoolingBenchmark implements ReportedBenchmark {

    static final Pool2dShape SHAPE = Pool2dShape.of(64, 32, 28, 28, 2);

    /** Bytes per call as the class comment counts them. */
    @Override
    public Work work(String method) {
        return Work.bytes(SHAPE.inputSize() * switch (op) {
            case "copy" -> 8.0;
            case "maxPool2d", "maxPool2dBackward" -> 6.0;
            case "avgPool2d" -> 5.0;
            default -> throw new IllegalArgumentException("unknown op " + op);
        });
    }

    @Param({"vector", "scalar"})
    public String backend;

    @Param({"copy", "maxPool2d", "maxPool2dBackward", "avgPool2d"})
    public String op;

    /** A smoke subset: the copy and max pooling; no scalar reference. */
    @Override
    public Map<String, List<String>> quickParams() {
        return Map.of("backend", List.of("vector"), "op", List.of("copy", "maxPool2d"));
    }

    @Override
    public Optional<String> skipReason(String method, Map<String, String> params) {
        return ElementwiseBenchmark.onVectorKernels(params.get("backend"));
    }

    private MemorySegment x;
    private MemorySegment y;
    private MemorySegment argmax;
    private MemorySegment dx;
    private Runnable call;

    @Setup(Level.Trial)
    public void setUp() {
        SplittableRandom random = new SplittableRandom(20_251_121L);
        int in = (int) SHAPE.inputSize();
        int out = (int) SHAPE.outputSize();
        x = MemorySegment.ofArray(ElementwiseBenchmark.randomFloats(random, in));
        y = MemorySegment.ofArray(ElementwiseBenchmark.randomFloats(random, out));
        dx = MemorySegment.ofArray(new float[in]);
        argmax = MemorySegment.ofArray(new int[out]);
        Backend reference = Backends.get("scalar");
        reference.maxPool2d(SHAPE, x, MemorySegment.ofArray(new float[out]), argmax);
        Backend chosen = Backends.get(backend);
        call = bind(chosen);
        verify(chosen, reference);
    }

    @Benchmark
    public Object run() {
        call.run();
        return dx;
    }

    private Runnable bind(Backend b) {
        return switch (op) {
            case "copy" -> () -> MemorySegment.copy(x, 0, dx, 0, x.byteSize());
            case "maxPool2d" -> () -> b.maxPool2d(SHAPE, x, y, argmax);
            // y as dy, argmax from the reference's forward pass (set up once)
            case "maxPool2dBackward" -> () -> b.maxPool2dBackward(SHAPE, y, argmax, dx);
            case "avgPool2d" -> () -> b.avgPool2d(SHAPE, x, y);
            default -> throw new IllegalArgumentException("unknown op '" + op + "'");
        };
    }

    /**
     * Max pooling and its backward pass copy values (no window overlaps at stride 2): exact. An average
     * of four: within 1e-6 of max(1, |want|), float against double.
     */
    private void verify(Backend chosen, Backend reference) {
        int in = (int) SHAPE.inputSize();
        int out = (int) SHAPE.outputSize();
        MemorySegment dy = MemorySegment.ofArray(y.toArray(ValueLayout.JAVA_FLOAT));
        float[][] pooled = new float[2][out];
        int[][] indices = new int[2][out];
        float[][] gradient = new float[2][in];
        float[][] averaged = new float[2][out];
        Backend[] both = {chosen, reference};
        for (int k = 0; k < 2; k++) {
            both[k].maxPool2d(SHAPE, x, MemorySegment.ofArray(pooled[k]), MemorySegment.ofArray(indices[k]));
            both[k].maxPool2dBackward(SHAPE, dy, argmax, MemorySegment.ofArray(gradient[k]));
            both[k].avgPool2d(SHAPE, x, MemorySegment.ofArray(averaged[k]));
        }
        boolean same = Arrays.equals(pooled[0], pooled[1]) && Arrays.equals(indices[0], indices[1])
                && Arrays.equals(gradient[0], gradient[1]);
        for (int i = 0; i < out; i++) {
            same &= Math.abs(averaged[0][i] - averaged[1][i]) <= 1e-6 * Math.max(1, Math.abs(averaged[1][i]));
        }
        if (!same) {
            throw new IllegalStateException(backend + " pooling differs from the scalar reference");
        }
    }
}
