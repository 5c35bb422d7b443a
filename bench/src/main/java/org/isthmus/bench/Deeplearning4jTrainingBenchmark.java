package org.isthmus.bench;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.isthmus.data.Dataset;
import org.isthmus.data.FashionMnist;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Issue 6's peer for {@link TrainingBenchmark}: Deeplearning4j 1.0.0-M2.1 (ND4J's CPU backend with
 * OpenBLAS, every core) training the same MLP (784-256-128-10) or CNN (conv3x3·32, maxpool2,
 * conv3x3·64, maxpool2, dense 128, dense 10; padding 1, ReLU) with Adam 1e-3 and softmax
 * cross-entropy on the same Fashion-MNIST training images, in batches of 128 (the last one short).
 * One measured iteration is one epoch, as there; run both classes in one JMH run for a same-run ratio.
 *
 * <p>The batches are built once and visited in the same order every epoch, so the peer pays for no
 * shuffling or batch assembly while {@link TrainingBenchmark}'s loader does both: the ratio errs in
 * the peer's favour.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 4)
@Fork(1)
public class Deeplearning4jTrainingBenchmark {

    private static final int BATCH = 128;
    private static final int CLASSES = 10;

    @Param({"mlp", "cnn"})
    public String model;

    private MultiLayerNetwork network;
    private List<DataSet> batches;

    @Setup
    public void setUp() throws IOException {
        FashionMnist data = FashionMnist.load();
        System.out.println("data: " + data.source());
        batches = batches(data.train());
        network = new MultiLayerNetwork(configuration(model).build());
        network.init();
    }

    @Benchmark
    public double epoch() {
        // One prepared batch per step: a count of n would merge n of them into one batch of 128·n.
        network.fit(new ListDataSetIterator<>(batches, 1));
        double loss = network.score();
        if (!Double.isFinite(loss)) {
            throw new IllegalStateException("Deeplearning4j diverged: loss " + loss);
        }
        return loss;
    }

    static NeuralNetConfiguration.ListBuilder configuration(String model) {
        NeuralNetConfiguration.ListBuilder layers = new NeuralNetConfiguration.Builder()
                .seed(42)
                .updater(new Adam(1e-3))
                .list();
        return switch (model) {
            case "mlp" -> layers
                    .layer(new DenseLayer.Builder().nIn(784).nOut(256).activation(Activation.RELU).build())
                    .layer(new DenseLayer.Builder().nIn(256).nOut(128).activation(Activation.RELU).build())
                    .layer(output(128));
            case "cnn" -> layers
                    .layer(new ConvolutionLayer.Builder(3, 3).nIn(1).nOut(32).padding(1, 1)
                            .activation(Activation.RELU).build())
                    .layer(maxPool())
                    .layer(new ConvolutionLayer.Builder(3, 3).nOut(64).padding(1, 1)
                            .activation(Activation.RELU).build())
                    .layer(maxPool())
                    .layer(new DenseLayer.Builder().nOut(128).activation(Activation.RELU).build())
                    .layer(output(128))
                    .setInputType(InputType.convolutionalFlat(28, 28, 1));
            default -> throw new IllegalArgumentException("model must be mlp or cnn, not " + model);
        };
    }

    private static SubsamplingLayer maxPool() {
        return new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build();
    }

    private static OutputLayer output(int inputs) {
        return new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(inputs).nOut(CLASSES)
                .activation(Activation.SOFTMAX).build();
    }

    /** The training images as ND4J batches: features [b, 784], one-hot labels [b, 10]. */
    private static List<DataSet> batches(Dataset train) {
        int features = train.exampleSize();
        List<DataSet> batches = new ArrayList<>();
        for (int first = 0; first < train.size(); first += BATCH) {
            int size = Math.min(BATCH, train.size() - first);
            float[] inputs = new float[size * features];
            float[] labels = new float[size * CLASSES];
            for (int i = 0; i < size; i++) {
                train.copyInput(first + i, inputs, i * features);
                labels[i * CLASSES + train.label(first + i)] = 1f;
            }
            batches.add(new DataSet(Nd4j.create(inputs, new long[] {size, features}),
                    Nd4j.create(labels, new long[] {size, CLASSES})));
        }
        return batches;
    }
}
