package org.isthmus.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;

/** The per-epoch figures of a training run, written as a CSV file and a PNG plot of loss and accuracy. */
final class RunReport {

    record Epoch(int epoch, double trainLoss, double testLoss, double testAccuracy, double macroF1, double samplesPerSecond) {
    }

    private final List<Epoch> epochs = new ArrayList<>();

    void add(Epoch epoch) {
        epochs.add(epoch);
    }

    List<Epoch> epochs() {
        return List.copyOf(epochs);
    }

    void writeCsv(Path file) throws IOException {
        StringBuilder csv = new StringBuilder("epoch,train_loss,test_loss,test_accuracy,test_macro_f1,samples_per_second\n");
        for (Epoch e : epochs) {
            csv.append(String.format(Locale.ROOT, "%d,%.6f,%.6f,%.6f,%.6f,%.1f%n", e.epoch(), e.trainLoss(), e.testLoss(),
                    e.testAccuracy(), e.macroF1(), e.samplesPerSecond()));
        }
        Files.writeString(file, csv);
    }

    /** Two charts side by side: the losses, and the test accuracy, per epoch. */
    void writePlot(Path file, String title) throws IOException {
        double[] x = epochs.stream().mapToDouble(Epoch::epoch).toArray();
        XYChart losses = new XYChartBuilder().width(640).height(420).title(title + ": loss").xAxisTitle("epoch")
                .yAxisTitle("cross-entropy").build();
        losses.addSeries("train", x, epochs.stream().mapToDouble(Epoch::trainLoss).toArray());
        losses.addSeries("test", x, epochs.stream().mapToDouble(Epoch::testLoss).toArray());
        XYChart accuracy = new XYChartBuilder().width(640).height(420).title(title + ": test accuracy")
                .xAxisTitle("epoch").yAxisTitle("accuracy").build();
        accuracy.addSeries("accuracy", x, epochs.stream().mapToDouble(Epoch::testAccuracy).toArray());
        accuracy.addSeries("macro-F1", x, epochs.stream().mapToDouble(Epoch::macroF1).toArray());
        for (XYChart chart : List.of(losses, accuracy)) {
            chart.getStyler().setYAxisDecimalPattern("0.000");
            chart.getStyler().setXAxisDecimalPattern("0");
        }
        String name = file.toString();
        String withoutExtension = name.endsWith(".png") ? name.substring(0, name.length() - 4) : name;
        BitmapEncoder.saveBitmap(List.of(losses, accuracy), 1, 2, withoutExtension, BitmapEncoder.BitmapFormat.PNG);
    }
}
