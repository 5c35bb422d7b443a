package org.isthmus.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.isthmus.models.Models;
import org.isthmus.nn.Module;
import org.isthmus.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The peer trains the same networks as {@link TrainingBenchmark}: layer by layer, the same number of
 * parameters (weights and bias) as the Isthmus model. Counted from the configuration, so no native
 * code is loaded.
 */
class Deeplearning4jTrainingBenchmarkTest {

    @ParameterizedTest
    @ValueSource(strings = {"mlp", "cnn"})
    void peerHasTheIsthmusModelsLayers(String model) {
        Module isthmus = model.equals("cnn") ? Models.cnn(new SplittableRandom(1)) : Models.mlp(new SplittableRandom(1));
        List<Long> isthmusLayers = new ArrayList<>();
        List<Tensor> parameters = isthmus.parameters();
        for (int i = 0; i < parameters.size(); i += 2) {
            // Every layer with parameters has a weight and a bias, in that order.
            isthmusLayers.add(parameters.get(i).numel() + parameters.get(i + 1).numel());
        }
        MultiLayerConfiguration peer = Deeplearning4jTrainingBenchmark.configuration(model).build();
        List<Long> peerLayers = new ArrayList<>();
        for (NeuralNetConfiguration layer : peer.getConfs()) {
            long count = layer.getLayer().initializer().numParams(layer);
            if (count > 0) {
                peerLayers.add(count);
            }
        }
        assertEquals(isthmusLayers, peerLayers, model + ": parameters per layer, Isthmus against Deeplearning4j");
    }

    @Test
    void unknownModelIsNamed() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> Deeplearning4jTrainingBenchmark.configuration("resnet"));
        assertEquals("model must be mlp or cnn, not resnet", error.getMessage());
    }
}
