package org.isthmus.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.isthmus.data.FashionMnist;
import org.isthmus.data.TensorDataset;
import org.isthmus.io.Safetensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code train} then {@code evaluate} on a small IDX folder, as a user runs them. */
class TrainCommandTest {

    @TempDir
    Path folder;

    /** The embedded subset written out as the four IDX files {@code --data} reads. */
    private Path dataFolder() throws IOException {
        FashionMnist embedded = FashionMnist.embedded();
        Path data = Files.createDirectories(folder.resolve("data"));
        write(data, "train", embedded.train());
        write(data, "t10k", embedded.test());
        return data;
    }

    private static void write(Path data, String prefix, TensorDataset set) throws IOException {
        float[] pixels = set.inputs().toArray();
        ByteBuffer images = ByteBuffer.allocate(16 + pixels.length).putInt(0x803).putInt(set.size()).putInt(28).putInt(28);
        for (float p : pixels) {
            images.put((byte) Math.round(p * 255));
        }
        Files.write(data.resolve(prefix + "-images-idx3-ubyte"), images.array());
        ByteBuffer labels = ByteBuffer.allocate(8 + set.size()).putInt(0x801).putInt(set.size());
        for (int label : set.labels()) {
            labels.put((byte) label);
        }
        Files.write(data.resolve(prefix + "-labels-idx1-ubyte"), labels.array());
    }

    private static String captured(IoAction action) throws IOException {
        PrintStream saved = System.out;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buffer, true, StandardCharsets.UTF_8));
        try {
            action.run();
        } finally {
            System.setOut(saved);
        }
        return buffer.toString(StandardCharsets.UTF_8);
    }

    private interface IoAction {
        void run() throws IOException;
    }

    private static String lastAccuracy(String output) {
        Matcher m = Pattern.compile("test accuracy ([0-9.]+)%").matcher(output);
        String last = null;
        while (m.find()) {
            last = m.group(1);
        }
        assertNotNull(last, output);
        return last;
    }

    /**
     * Standardized inputs and the cosine schedule (the defaults): the checkpoint records the training
     * set's mean and std, and evaluate applies them again, so it reports the accuracy train reported.
     */
    @Test
    void evaluateReproducesTheAccuracyTrainReported() throws IOException {
        Path data = dataFolder();
        String backend = System.getProperty("isthmus.backend");
        try {
            trainThenEvaluate(data);
        } finally {
            // train sets the backend property for the rest of the JVM.
            if (backend == null) {
                System.clearProperty("isthmus.backend");
            } else {
                System.setProperty("isthmus.backend", backend);
            }
        }
    }

    private void trainThenEvaluate(Path data) throws IOException {
        for (String inputs : List.of("standardized", "unit")) {
            Path out = folder.resolve("run-" + inputs);
            String trained = captured(() -> TrainCommand.run(TrainOptions.parse(List.of("--model", "logreg",
                    "--epochs", "2", "--batch", "64", "--backend", "vector", "--inputs", inputs,
                    "--data", data.toString(), "--out", out.toString()))));
            assertTrue(trained.contains(inputs.equals("unit") ? "inputs: pixels / 255" : "inputs: (x - "), trained);
            assertTrue(trained.contains("cosine to 0 over the run"), trained);
            Map<String, String> metadata = Safetensors.readMetadata(out.resolve(TrainCommand.CHECKPOINT));
            assertEquals(inputs.equals("standardized"), metadata.containsKey(TrainCommand.INPUT_MEAN), metadata.toString());
            assertEquals(inputs.equals("standardized"), metadata.containsKey(TrainCommand.INPUT_STD), metadata.toString());
            String evaluated = captured(() -> TrainCommand.evaluate(EvaluateOptions.parse(List.of(
                    "--checkpoint", out.resolve(TrainCommand.CHECKPOINT).toString(), "--data", data.toString()))));
            assertEquals(lastAccuracy(trained), lastAccuracy(evaluated), inputs + ":\n" + trained + "\n" + evaluated);
            assertTrue(Double.parseDouble(lastAccuracy(trained)) > 60, trained);
        }
    }
}
