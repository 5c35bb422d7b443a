package org.isthmus.bench;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.isthmus.kernels.Backend;
import org.isthmus.kernels.Backends;
import org.isthmus.tensor.Autograd;
import org.isthmus.tensor.Functional;
import org.isthmus.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the tensor layer costs over calling the backend directly, on a 128×784 · 784×256 matmul
 * (the first layer of the MLP at batch 128): forward alone, and forward plus backward (three sgemm
 * calls either way). {@code mlpTrainingStep} is one SGD step of a 784-256-128-10 MLP on a batch of 128;
 * run with {@code -prof gc} for its allocation per step. Results are checked once in setup.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
public class TensorOverheadBenchmark {

    private static final int BATCH = 128;
    private static final int IN = 784;
    private static final int OUT = 256;

    private Backend backend;
    private float[] x;
    private float[] w;
    private float[] y;
    private float[] dy;
    private float[] dx;
    private float[] dw;
    private Tensor xTensor;
    private Tensor wTensor;
    private Tensor dyTensor;
    private Tensor[] mlp;
    private Tensor images;
    private Tensor labels;

    @Setup(Level.Trial)
    public void setUp() {
        backend = Backends.current();
        SplittableRandom random = new SplittableRandom(7);
        xTensor = Tensor.randn(random, BATCH, IN);
        wTensor = Tensor.randn(random, IN, OUT).mul(0.05f).detach().requiresGrad(true);
        dyTensor = Tensor.randn(random, BATCH, OUT);
        x = xTensor.toArray();
        w = wTensor.toArray();
        dy = dyTensor.toArray();
        y = new float[BATCH * OUT];
        dx = new float[BATCH * IN];
        dw = new float[IN * OUT];
        kernelForward();
        float[] viaTensor;
        try (Autograd.Scope ignored = Autograd.noGrad()) {
            viaTensor = xTensor.matmul(wTensor).toArray();
        }
        for (int i = 0; i < y.length; i++) {
            if (Math.abs(viaTensor[i] - y[i]) > 1e-3f * (1 + Math.abs(y[i]))) {
                throw new IllegalStateException("tensor matmul differs from sgemm at " + i + ": " + viaTensor[i] + " vs " + y[i]);
            }
        }
        mlp = new Tensor[] {
                Tensor.randn(random, 256, 784).mul(0.03f).detach().requiresGrad(true), Tensor.zeros(256).requiresGrad(true),
                Tensor.randn(random, 128, 256).mul(0.06f).detach().requiresGrad(true), Tensor.zeros(128).requiresGrad(true),
                Tensor.randn(random, 10, 128).mul(0.09f).detach().requiresGrad(true), Tensor.zeros(10).requiresGrad(true)};
        images = Tensor.rand(random, BATCH, 784);
        float[] classes = new float[BATCH];
        for (int i = 0; i < BATCH; i++) {
            classes[i] = random.nextInt(10);
        }
        labels = Tensor.fromArray(classes, BATCH);
    }

    @Benchmark
    public float[] kernelForward() {
        backend.sgemm(false, false, BATCH, OUT, IN, 1f, MemorySegment.ofArray(x), 0, IN, MemorySegment.ofArray(w), 0, OUT,
                0f, MemorySegment.ofArray(y), 0, OUT);
        return y;
    }

    @Benchmark
    public Tensor tensorForward() {
        try (Autograd.Scope ignored = Autograd.noGrad()) {
            return xTensor.matmul(wTensor);
        }
    }

    /** y = x·w, then dx = dy·wᵀ and dw = xᵀ·dy. */
    @Benchmark
    public float[] kernelForwardBackward() {
        kernelForward();
        backend.sgemm(false, true, BATCH, IN, OUT, 1f, MemorySegment.ofArray(dy), 0, OUT, MemorySegment.ofArray(w), 0, OUT,
                0f, MemorySegment.ofArray(dx), 0, IN);
        backend.sgemm(true, false, IN, OUT, BATCH, 1f, MemorySegment.ofArray(x), 0, IN, MemorySegment.ofArray(dy), 0, OUT,
                0f, MemorySegment.ofArray(dw), 0, OUT);
        return dw;
    }

    @Benchmark
    public Tensor tensorForwardBackward() {
        Tensor input = xTensor.detach().requiresGrad(true);
        wTensor.setGrad(null);
        input.matmul(wTensor).backward(dyTensor);
        return wTensor.grad();
    }

    /** One SGD step of the MLP: forward, cross-entropy, backward, update. */
    @Benchmark
    public Tensor mlpTrainingStep() {
        for (Tensor p : mlp) {
            p.setGrad(null);
        }
        Tensor h = Functional.linear(images, mlp[0], mlp[1]).relu();
        h = Functional.linear(h, mlp[2], mlp[3]).relu();
        Tensor loss = Functional.crossEntropy(Functional.linear(h, mlp[4], mlp[5]), labels, 0f).mean();
        loss.backward();
        try (Autograd.Scope ignored = Autograd.noGrad()) {
            for (Tensor p : mlp) {
                p.add_(p.grad(), -0.01f);
            }
        }
        return loss;
    }
}
