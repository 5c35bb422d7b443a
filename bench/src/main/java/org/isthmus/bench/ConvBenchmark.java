package org.isthmus.bench;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * conv2d, conv2dBackwardData and conv2dBackwardWeights (with dBias) on the reference
 * layers, 3×3 kernels, stride 1, padding 1, heap segments as tensors hold them; and, in the same
 * run, the backend's sgemm on two products to compare against:
 * <ul>
 * <li>{@code gemmPerImage}: the product im2col lowers one image to, m = K, n = OH·OW,
 *     k = C·3·3 (its FLOPs are those of one image);</li>
 * <li>{@code gemmCube}: a square product with the FLOPs of the whole convolution,
 *     side = round(∛(N·K·C·9·OH·OW)).</li>
 * </ul>
 * The score is the time per call; GFLOP/s = 2·N·K·C·R·S·OH·OW / seconds for the convolution
 * passes (the same count for all three), 2·m·n·k / seconds for the products. Each pass's result
 * is checked once per trial against the scalar reference (on the first and last image, and on
 * sampled weight-gradient entries), so a wrong kernel cannot post a time.
 *
 * <p>Threads: {@code -Disthmus.threads} (read once per JVM), e.g. {@code -jvmArgsAppend -Disthmus.threads=1}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ConvBenchmark implements ReportedBenchmark {

    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;
    private static final long SEED = 20_261_121L;
    private static final int SAMPLED_WEIGHTS = 64;
    /** Relative to Σ|terms| of each checked entry: float rounding stays far below, a wrong tap far above. */
    private static final double TOLERANCE = 1e-5;

    /** A backend name ("vector", "scalar": the scalar one only on the small shapes, it takes minutes on the others). */
    @Param({"vector"})
    public String implementation;

    /** N x C x H x W, then the filter count K: 3×3 kernels, stride 1, padding 1. */
    @Param({"64x1x28x28-32", "64x32x14x14-64", "32x64x56x56-64"})
    public String layer;

    /** forward, backwardData, backwardWeights, gemmPerImage or gemmCube. */
    @Param({"forward", "backwardData", "backwardWeights", "gemmPerImage", "gemmCube"})
    public String pass;

    private Backend backend;
    private Conv2dShape shape;
    private MemorySegment x;
    private MemorySegment w;
    private MemorySegment bias;
    private MemorySegment y;
    private MemorySegment dy;
    private MemorySegment dx;
    private MemorySegment dw;
    private MemorySegment dBias;
    private Runnable call;

    @Setup(Level.Trial)
    public void setUp() {
        backend = Backends.get(implementation);
        shape = parse(layer);
        SplittableRandom random = new SplittableRandom(SEED);
        x = random(random, shape.inputSize());
        w = random(random, shape.weightSize());
        bias = random(random, shape.outChannels());
        dy = random(random, shape.outputSize());
        y = MemorySegment.ofArray(new float[(int) shape.outputSize()]);
        dx = MemorySegment.ofArray(new float[(int) shape.inputSize()]);
        dw = MemorySegment.ofArray(new float[(int) shape.weightSize()]);
        dBias = MemorySegment.ofArray(new float[shape.outChannels()]);
        call = bind(random);
        call.run();
        verify();
        System.out.printf(Locale.ROOT, "%n%s %s %s: %.4g GFLOP a call, %s%n", implementation, layer, pass,
                flops() / 1e9, backend.description());
    }

    @Benchmark
    public void run() {
        call.run();
    }

    @Override
    public Work work(String method) {
        shape = parse(layer);
        return Work.flops(flops());
    }

    @Override
    public Map<String, List<String>> quickParams() {
        return Map.of("layer", List.of("64x32x14x14-64"),
                "pass", List.of("forward", "backwardData", "backwardWeights"));
    }

    /** Floating-point operations of one call of this pass. */
    public double flops() {
        int depth = shape.inChannels() * shape.kernelHeight() * shape.kernelWidth();
        int pixels = shape.outHeight() * shape.outWidth();
        return switch (pass) {
            case "gemmPerImage" -> 2.0 * shape.outChannels() * pixels * depth;
            case "gemmCube" -> 2.0 * Math.pow(cubeSide(), 3);
            default -> 2.0 * shape.batch() * shape.outChannels() * pixels * depth;
        };
    }

    private int cubeSide() {
        double macs = (double) shape.batch() * shape.outChannels() * shape.inChannels() * shape.kernelHeight()
                * shape.kernelWidth() * shape.outHeight() * shape.outWidth();
        return (int) Math.round(Math.cbrt(macs));
    }

    private Runnable bind(SplittableRandom random) {
        Conv2dShape s = shape;
        return switch (pass) {
            case "forward" -> () -> backend.conv2d(s, x, w, bias, y);
            case "backwardData" -> () -> backend.conv2dBackwardData(s, dy, w, dx);
            case "backwardWeights" -> () -> backend.conv2dBackwardWeights(s, x, dy, dw, dBias);
            case "gemmPerImage" -> {
                int m = s.outChannels();
                int n = s.outHeight() * s.outWidth();
                int k = s.inChannels() * s.kernelHeight() * s.kernelWidth();
                MemorySegment b = random(random, (long) k * n);
                MemorySegment c = MemorySegment.ofArray(new float[m * n]);
                yield () -> backend.sgemm(false, false, m, n, k, 1f, w, 0, k, b, 0, n, 0f, c, 0, n);
            }
            case "gemmCube" -> {
                int side = cubeSide();
                MemorySegment a = random(random, (long) side * side);
                MemorySegment b = random(random, (long) side * side);
                MemorySegment c = MemorySegment.ofArray(new float[side * side]);
                yield () -> backend.sgemm(false, false, side, side, side, 1f, a, 0, side, b, 0, side, 0f, c, 0, side);
            }
            default -> throw new IllegalArgumentException("pass must be forward, backwardData, backwardWeights, "
                    + "gemmPerImage or gemmCube, got '" + pass + "'");
        };
    }

    /**
     * The convolution passes against the scalar reference: forward and backward data on the
     * first and last image (each image is independent); the weight gradient, a sum over the
     * whole batch, on sampled entries and every bias entry, summed here in double. sgemm has
     * {@link GemmBenchmark}'s own check.
     */
    private void verify() {
        Backend reference = Backends.get("scalar");
        Conv2dShape one = new Conv2dShape(1, shape.inChannels(), shape.inHeight(), shape.inWidth(), shape.outChannels(),
                shape.kernelHeight(), shape.kernelWidth(), 1, 1, shape.padH(), shape.padW(), 1, 1);
        long inImage = one.inputSize() * Float.BYTES;
        long outImage = one.outputSize() * Float.BYTES;
        for (int n : new int[] {0, shape.batch() - 1}) {
            switch (pass) {
                case "forward" -> {
                    MemorySegment expected = MemorySegment.ofArray(new float[(int) one.outputSize()]);
                    reference.conv2d(one, x.asSlice(n * inImage, inImage), w, bias, expected);
                    compare(expected, y.asSlice(n * outImage, outImage), "y of image " + n);
                }
                case "backwardData" -> {
                    MemorySegment expected = MemorySegment.ofArray(new float[(int) one.inputSize()]);
                    reference.conv2dBackwardData(one, dy.asSlice(n * outImage, outImage), w, expected);
                    compare(expected, dx.asSlice(n * inImage, inImage), "dx of image " + n);
                }
                default -> {
                    // checked below
                }
            }
        }
        if (pass.equals("backwardWeights")) {
            verifyWeightGradient();
        }
    }

    private void compare(MemorySegment expected, MemorySegment actual, String what) {
        double diff = 0;
        double norm = 0;
        for (long i = 0; i < expected.byteSize() / Float.BYTES; i++) {
            double d = (double) actual.getAtIndex(FLOAT, i) - expected.getAtIndex(FLOAT, i);
            diff += d * d;
            norm += Math.pow(expected.getAtIndex(FLOAT, i), 2);
        }
        double error = Math.sqrt(diff / norm);
        if (!(error <= TOLERANCE)) {
            throw new IllegalStateException(String.format(Locale.ROOT, "%s %s %s is wrong: %s has relative error %.3g > %.3g",
                    implementation, layer, pass, what, error, TOLERANCE));
        }
    }

    /** dw[k,c,r,s] = Σ_n,oh,ow dy·x on sampled entries, dBias[k] = Σ dy on all, in double. */
    private void verifyWeightGradient() {
        SplittableRandom random = new SplittableRandom(SEED + 1);
        int oh = shape.outHeight();
        int ow = shape.outWidth();
        for (int sample = 0; sample < SAMPLED_WEIGHTS; sample++) {
            int k = random.nextInt(shape.outChannels());
            int c = random.nextInt(shape.inChannels());
            int r = random.nextInt(shape.kernelHeight());
            int s = random.nextInt(shape.kernelWidth());
            double sum = 0;
            double magnitude = 0;
            for (int n = 0; n < shape.batch(); n++) {
                for (int i = 0; i < oh; i++) {
                    int ih = i - shape.padH() + r;
                    for (int j = 0; j < ow; j++) {
                        int iw = j - shape.padW() + s;
                        if (ih < 0 || ih >= shape.inHeight() || iw < 0 || iw >= shape.inWidth()) {
                            continue;
                        }
                        double term = (double) dy.getAtIndex(FLOAT, (((long) n * shape.outChannels() + k) * oh + i) * ow + j)
                                * x.getAtIndex(FLOAT, (((long) n * shape.inChannels() + c) * shape.inHeight() + ih)
                                * shape.inWidth() + iw);
                        sum += term;
                        magnitude += Math.abs(term);
                    }
                }
            }
            long index = (((long) k * shape.inChannels() + c) * shape.kernelHeight() + r) * shape.kernelWidth() + s;
            check(dw.getAtIndex(FLOAT, index), sum, magnitude, "dw[" + k + "," + c + "," + r + "," + s + "]");
        }
        for (int k = 0; k < shape.outChannels(); k++) {
            double sum = 0;
            double magnitude = 0;
            for (int n = 0; n < shape.batch(); n++) {
                for (long i = 0; i < (long) oh * ow; i++) {
                    float value = dy.getAtIndex(FLOAT, ((long) n * shape.outChannels() + k) * oh * ow + i);
                    sum += value;
                    magnitude += Math.abs(value);
                }
            }
            check(dBias.getAtIndex(FLOAT, k), sum, magnitude, "dBias[" + k + "]");
        }
    }

    private void check(float got, double want, double magnitude, String what) {
        double error = Math.abs(got - want) / Math.max(magnitude, Double.MIN_NORMAL);
        if (!(error <= TOLERANCE)) {
            throw new IllegalStateException(String.format(Locale.ROOT, "%s %s %s is wrong: %s = %s, reference %s",
                    implementation, layer, pass, what, got, want));
        }
    }

    /** "NxCxHxW-K": a 3×3 convolution, stride 1, padding 1. */
    static Conv2dShape parse(String text) {
        String[] parts = text.trim().toLowerCase(Locale.ROOT).split("[x-]");
        if (parts.length != 5) {
            throw new IllegalArgumentException("layer must be NxCxHxW-K, got '" + text + "'");
        }
        int[] v = new int[5];
        for (int i = 0; i < 5; i++) {
            v[i] = Integer.parseInt(parts[i].trim());
        }
        return new Conv2dShape(v[0], v[1], v[2], v[3], v[4], 3, 3, 1, 1, 1, 1, 1, 1);
    }

    private static MemorySegment random(SplittableRandom random, long count) {
        float[] values = new float[Math.toIntExact(count)];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return MemorySegment.ofArray(values);
    }
}
