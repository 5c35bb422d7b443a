package org.isthmus.bench;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Batch normalization over x of shape batch×channels×spatial (heap operands, as tensors hold
 * them), training forward, inference and backward, next to {@code copy}: x copied to y over the
 * same threads in the same run. Each kernel's output is checked once per trial against the scalar
 * reference, so a wrong kernel cannot post a time.
 *
 * <p>GB/s = bytes / seconds per call, counting each array of batch·channels·spatial floats (N)
 * once: copy, training and inference 8N (x in, y out; training reads x twice unless it stays in
 * cache), backward 12N (x and dy in, dx out). The per-channel vectors are left out (at most 4 KB).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class BatchNormBenchmark implements ReportedBenchmark {

    private static final float EPS = 1e-5f;
    private static final float MOMENTUM = 0.1f;
    /** Relative norm error allowed against the scalar reference, as the kernels' own tests allow. */
    private static final double TOLERANCE = 1e-5;

    /** Any name {@link Backends#get(String)} knows. */
    @Param({"vector"})
    public String backend;

    /**
     * batch x channels x spatial: an MLP's hidden layer (2-D input, in cache), 2-D input of 16 MiB,
     * the CNN's 32-channel 14×14 activations, and 64 channels of 56×56 (planes of 3,136).
     */
    @Param({"128x256x1", "8192x512x1", "64x32x196", "32x64x3136"})
    public String shape;

    @Param({"copy", "batchNormTraining", "batchNormInference", "batchNormBackward"})
    public String op;

    private int batch;
    private int channels;
    private int spatial;
    private MemorySegment x;
    private MemorySegment dy;
    private MemorySegment y;
    private MemorySegment gamma;
    private MemorySegment beta;
    private MemorySegment mean;
    private MemorySegment rstd;
    private MemorySegment runningMean;
    private MemorySegment runningVar;
    private MemorySegment dGamma;
    private MemorySegment dBeta;
    private Runnable call;

    /** Bytes per call as the class comment counts them. */
    @Override
    public Work work(String method) {
        parseShape();
        double matrix = (double) batch * channels * spatial * Float.BYTES;
        return Work.bytes(switch (op) {
            case "copy", "batchNormTraining", "batchNormInference" -> 2 * matrix;
            case "batchNormBackward" -> 3 * matrix;
            default -> throw new IllegalArgumentException("unknown op " + op);
        });
    }

    /** The training forward pass on 2-D input and on the CNN's activations, and their copies. */
    @Override
    public Map<String, List<String>> quickParams() {
        return Map.of("shape", List.of("8192x512x1", "64x32x196"), "op", List.of("copy", "batchNormTraining"));
    }

    @Override
    public Optional<String> skipReason(String method, Map<String, String> params) {
        return ElementwiseBenchmark.onVectorKernels(params.get("backend"));
    }

    @Setup(Level.Trial)
    public void setUp() {
        parseShape();
        int size = Math.multiplyExact(Math.multiplyExact(batch, channels), spatial);
        SplittableRandom random = new SplittableRandom(20_251_122L);
        x = MemorySegment.ofArray(ElementwiseBenchmark.randomFloats(random, size));
        dy = MemorySegment.ofArray(ElementwiseBenchmark.randomFloats(random, size));
        y = MemorySegment.ofArray(new float[size]);
        gamma = MemorySegment.ofArray(ElementwiseBenchmark.randomFloats(random, channels));
        beta = MemorySegment.ofArray(ElementwiseBenchmark.randomFloats(random, channels));
        mean = MemorySegment.ofArray(new float[channels]);
        rstd = MemorySegment.ofArray(new float[channels]);
        runningMean = MemorySegment.ofArray(new float[channels]);
        float[] ones = new float[channels];
        Arrays.fill(ones, 1f);
        runningVar = MemorySegment.ofArray(ones);
        dGamma = MemorySegment.ofArray(new float[channels]);
        dBeta = MemorySegment.ofArray(new float[channels]);
        Backend chosen = Backends.get(backend);
        // mean and rstd for the backward pass, from the reference.
        Backends.get("scalar").batchNormTraining(x, gamma, beta, MemorySegment.ofArray(new float[size]), mean, rstd,
                null, null, batch, channels, spatial, MOMENTUM, EPS);
        verify(chosen, size);
        call = bind(chosen, y);
    }

    @Benchmark
    public MemorySegment run() {
        call.run();
        return y;
    }

    private void parseShape() {
        String[] dims = shape.toLowerCase(Locale.ROOT).split("x");
        batch = Integer.parseInt(dims[0].trim());
        channels = Integer.parseInt(dims[1].trim());
        spatial = Integer.parseInt(dims[2].trim());
    }

    /** The op on {@code b}, writing its batch-sized output to {@code out}; statistics go to fresh vectors. */
    private Runnable bind(Backend b, MemorySegment out) {
        int size = Math.toIntExact(out.byteSize() / Float.BYTES);
        MemorySegment batchMean = MemorySegment.ofArray(new float[channels]);
        MemorySegment batchRstd = MemorySegment.ofArray(new float[channels]);
        return switch (op) {
            case "copy" -> () -> ThreadedCopy.copy(x, out, size);
            // The running statistics are updated on every call, as in training; their values do not change the work.
            case "batchNormTraining" -> () -> b.batchNormTraining(x, gamma, beta, out, batchMean, batchRstd, runningMean,
                    runningVar, batch, channels, spatial, MOMENTUM, EPS);
            case "batchNormInference" -> () -> b.batchNormInference(x, gamma, beta, mean, runningVarOf(rstd), out, batch,
                    channels, spatial, EPS);
            case "batchNormBackward" -> () -> b.batchNormBackward(x, gamma, mean, rstd, dy, out, dGamma, dBeta, batch,
                    channels, spatial);
            default -> throw new IllegalArgumentException("unknown op '" + op + "'");
        };
    }

    /** The variances whose 1/√(v + eps) is rstd, so that inference normalizes with the batch's statistics. */
    private MemorySegment runningVarOf(MemorySegment batchRstd) {
        float[] variance = new float[channels];
        for (int c = 0; c < channels; c++) {
            float r = batchRstd.getAtIndex(ValueLayout.JAVA_FLOAT, c);
            variance[c] = Math.max(0f, 1f / (r * r) - EPS);
        }
        return MemorySegment.ofArray(variance);
    }

    private void verify(Backend chosen, int size) {
        MemorySegment got = MemorySegment.ofArray(new float[size]);
        MemorySegment want = MemorySegment.ofArray(new float[size]);
        got.fill((byte) 0xFF); // every float NaN: an element the kernel skips shows
        bind(chosen, got).run();
        bind(Backends.get("scalar"), want).run();
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < size; i++) {
            double w = want.getAtIndex(ValueLayout.JAVA_FLOAT, i);
            double d = got.getAtIndex(ValueLayout.JAVA_FLOAT, i) - w;
            diff += d * d;
            norm += w * w;
        }
        double error = Math.sqrt(diff / norm);
        if (!(error <= TOLERANCE)) { // also catches NaN
            throw new IllegalStateException(String.format(Locale.ROOT, "%s %s %s is wrong: relative error %.3g > %.3g",
                    backend, op, shape, error, TOLERANCE));
        }
    }
}
