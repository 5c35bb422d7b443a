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
 * Depthwise 3×3 convolutions (groups = channels, one filter per channel, padding 1), as MobileNet's
 * blocks have them, forward and both backward passes (the weight gradient with dBias), heap
 * operands, next to {@code copy}: the same bytes copied over the same threads in the same run.
 * With 9 multiply-adds per output a depthwise layer is bound by memory, not by the FMA units, so
 * the rate is GB/s: bytes = 4·(input + output floats) for every pass (x in and y out; dy in and dx
 * out; x and dy in), and the copy moves as many. Each pass is checked once per trial against the
 * scalar reference, so a wrong kernel cannot post a time.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class DepthwiseConvBenchmark implements ReportedBenchmark {

    /** Relative norm error allowed against the scalar reference: 9 products an output, N·OH·OW a weight. */
    private static final double TOLERANCE = 1e-5;

    /** Any name {@link Backends#get(String)} knows. */
    @Param({"vector"})
    public String backend;

    /** N x C x H x W and the stride: 3×3 kernels, padding 1. */
    @Param({"64x32x14x14-s1", "32x64x56x56-s1", "32x128x56x56-s2"})
    public String layer;

    @Param({"copy", "forward", "backwardData", "backwardWeights"})
    public String pass;

    private Conv2dShape shape;
    private MemorySegment x;
    private MemorySegment w;
    private MemorySegment bias;
    private MemorySegment dy;
    private MemorySegment output;
    private MemorySegment dBias;
    private Runnable call;

    @Override
    public Work work(String method) {
        shape = parse(layer);
        return Work.bytes(4.0 * (shape.inputSize() + shape.outputSize()));
    }

    @Override
    public Map<String, List<String>> quickParams() {
        return Map.of("layer", List.of("32x64x56x56-s1"));
    }

    /** crossover runs vector's kernels or oneDNN's, by size: its rows would repeat one of theirs. */
    @Override
    public Optional<String> skipReason(String method, Map<String, String> params) {
        return "crossover".equals(params.get("backend"))
                ? Optional.of("crossover runs vector's or onednn's depthwise kernels, by size") : Optional.empty();
    }

    @Setup(Level.Trial)
    public void setUp() {
        shape = parse(layer);
        SplittableRandom random = new SplittableRandom(20_261_122L);
        x = MemorySegment.ofArray(ElementwiseBenchmark.randomFloats(random, (int) shape.inputSize()));
        w = MemorySegment.ofArray(ElementwiseBenchmark.randomFloats(random, (int) shape.weightSize(groups())));
        bias = MemorySegment.ofArray(ElementwiseBenchmark.randomFloats(random, shape.outChannels()));
        dy = MemorySegment.ofArray(ElementwiseBenchmark.randomFloats(random, (int) shape.outputSize()));
        output = MemorySegment.ofArray(new float[outputFloats()]);
        dBias = MemorySegment.ofArray(new float[shape.outChannels()]);
        Backend chosen = Backends.get(backend);
        verify(chosen);
        call = bind(chosen, output, dBias);
        System.out.printf(Locale.ROOT, "%n%s %s %s: %.4g MB a call, %s%n", backend, layer, pass,
                work("run").amount() / 1e6, chosen.description());
    }

    @Benchmark
    public MemorySegment run() {
        call.run();
        return output;
    }

    private int groups() {
        return shape.inChannels();
    }

    /** Floats the pass writes (dw for the weight gradient; the copy writes half the bytes it moves). */
    private int outputFloats() {
        return switch (pass) {
            case "copy" -> (int) ((shape.inputSize() + shape.outputSize()) / 2);
            case "forward" -> (int) shape.outputSize();
            case "backwardData" -> (int) shape.inputSize();
            case "backwardWeights" -> (int) shape.weightSize(groups());
            default -> throw new IllegalArgumentException("unknown pass '" + pass + "'");
        };
    }

    private Runnable bind(Backend b, MemorySegment out, MemorySegment biasGradient) {
        Conv2dShape s = shape;
        int groups = groups();
        return switch (pass) {
            case "copy" -> {
                // x and dy side by side hold input + output floats: a copy of half of them moves as many bytes.
                int floats = outputFloats();
                MemorySegment source = MemorySegment.ofArray(new float[floats]);
                yield () -> ThreadedCopy.copy(source, out, floats);
            }
            case "forward" -> () -> b.conv2d(s, groups, x, w, bias, out);
            case "backwardData" -> () -> b.conv2dBackwardData(s, groups, dy, w, out);
            case "backwardWeights" -> () -> b.conv2dBackwardWeights(s, groups, x, dy, out, biasGradient);
            default -> throw new IllegalArgumentException("unknown pass '" + pass + "'");
        };
    }

    private void verify(Backend chosen) {
        if (pass.equals("copy")) {
            return;
        }
        MemorySegment got = MemorySegment.ofArray(new float[outputFloats()]);
        MemorySegment want = MemorySegment.ofArray(new float[outputFloats()]);
        MemorySegment gotBias = MemorySegment.ofArray(new float[shape.outChannels()]);
        MemorySegment wantBias = MemorySegment.ofArray(new float[shape.outChannels()]);
        got.fill((byte) 0xFF); // every float NaN: an element the kernel skips shows
        bind(chosen, got, gotBias).run();
        bind(Backends.get("scalar"), want, wantBias).run();
        check(got, want, "");
        if (pass.equals("backwardWeights")) {
            check(gotBias, wantBias, " dBias");
        }
    }

    private void check(MemorySegment got, MemorySegment want, String what) {
        double diff = 0;
        double norm = 0;
        for (long i = 0; i < want.byteSize() / Float.BYTES; i++) {
            double expected = want.getAtIndex(ValueLayout.JAVA_FLOAT, i);
            double d = got.getAtIndex(ValueLayout.JAVA_FLOAT, i) - expected;
            diff += d * d;
            norm += expected * expected;
        }
        double error = Math.sqrt(diff / norm);
        if (!(error <= TOLERANCE)) { // also catches NaN
            throw new IllegalStateException(String.format(Locale.ROOT, "%s %s %s%s is wrong: relative error %.3g > %.3g",
                    backend, layer, pass, what, error, TOLERANCE));
        }
    }

    /** "NxCxHxW-sS": a depthwise 3×3 layer with padding 1 and stride S. */
    static Conv2dShape parse(String layer) {
        String[] parts = layer.toLowerCase(Locale.ROOT).split("-s");
        String[] dims = parts[0].split("x");
        int channels = Integer.parseInt(dims[1].trim());
        int stride = Integer.parseInt(parts[1].trim());
        return new Conv2dShape(Integer.parseInt(dims[0].trim()), channels, Integer.parseInt(dims[2].trim()),
                Integer.parseInt(dims[3].trim()), channels, 3, 3, stride, stride, 1, 1, 1, 1);
    }
}
