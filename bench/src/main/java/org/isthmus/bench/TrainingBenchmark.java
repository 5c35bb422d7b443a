package org.isthmus.bench;

import java.io.IOException;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.isthmus.data.DataLoader;
import org.isthmus.data.FashionMnist;
import org.isthmus.models.Models;
import org.isthmus.models.Trainer;
import org.isthmus.nn.Loss;
import org.isthmus.nn.Module;
import org.isthmus.nn.Reduction;
import org.isthmus.optim.Adam;
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
 * One training epoch of the MLP or the CNN on Fashion-MNIST (the system copy when installed, else the
 * embedded subset), Adam, batch 128, the main job's models. The main job's input standardization and
 * learning-rate schedule change no work per epoch and are left out. Each measured iteration is one epoch:
 * the first epoch is the warm-up, the median over epochs 2..n is the figure; samples/s = training images /
 * seconds per epoch. The backend is {@code -Disthmus.backend} (pass it with -jvmArgsAppend).
 * {@link Deeplearning4jTrainingBenchmark} trains the same networks with Deeplearning4j, issue 6's peer: the
 * JMH pattern {@code TrainingBenchmark} runs both, for a same-run ratio.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 4)
@Fork(1)
public class TrainingBenchmark {

    @Param({"mlp", "cnn"})
    public String model;

    private Trainer trainer;
    private DataLoader loader;
    private int epoch;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        FashionMnist data = FashionMnist.load();
        System.out.println("data: " + data.source());
        Module network = model.equals("cnn") ? Models.cnn(new SplittableRandom(42)) : Models.mlp(new SplittableRandom(42));
        trainer = new Trainer(network, new Adam(network.parameters(), 1e-3), Loss.crossEntropy(0f, Reduction.MEAN));
        loader = DataLoader.builder(data.train()).batchSize(128).shuffle(42).prefetch(true).build();
    }

    @Benchmark
    public double epoch() {
        double loss = trainer.epoch(loader, epoch++, (size, meanLoss) -> { });
        if (!Double.isFinite(loss)) {
            throw new IllegalStateException("training diverged: mean loss " + loss + " in epoch " + epoch);
        }
        return loss;
    }
}
