package org.isthmus.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.isthmus.models.Models;
import org.isthmus.nn.Module;
import org.isthmus.optim.Adagrad;
import org.isthmus.optim.Adam;
import org.isthmus.optim.LrScheduler;
import org.isthmus.optim.Optimizer;
import org.isthmus.optim.ParamGroup;
import org.isthmus.optim.RmsProp;
import org.isthmus.optim.Sgd;
import org.isthmus.tensor.Tensor;

/**
 * The options of {@code train}: {@code --model mlp|cnn|logreg --epochs N --batch B --lr X
 * --optimizer adam|adamw|sgd|rmsprop|adagrad --backend auto|vector|onednn|scalar --schedule cosine|constant --inputs standardized|unit --data DIR --out DIR
 * --seed S}.
 *
 * @param schedule {@code cosine}: the learning rate falls from --lr to 0 along a half cosine over every
 *                 batch of the run (PyTorch's CosineAnnealingLR stepped per batch); {@code constant}: --lr throughout
 * @param inputs   {@code standardized}: pixels shifted and scaled by the training set's mean and standard
 *                 deviation; {@code unit}: pixels in [0, 1]
 * @param data     the data folder, or null for the system copy or the embedded subset
 */
record TrainOptions(String model, int epochs, int batch, double learningRate, String optimizer, String backend,
                    String schedule, String inputs, Path data, Path out, long seed) {

    static final List<String> MODELS = List.of("mlp", "cnn", "logreg");
    static final List<String> OPTIMIZERS = List.of("adam", "adamw", "sgd", "rmsprop", "adagrad");
    static final List<String> SCHEDULES = List.of("cosine", "constant");
    static final List<String> INPUTS = List.of("standardized", "unit");

    static TrainOptions parse(List<String> args) {
        String model = "mlp";
        int epochs = 5;
        int batch = 128;
        double lr = 1e-3;
        String optimizer = "adam";
        String backend = "auto";
        String schedule = "cosine";
        String inputs = "standardized";
        Path data = null;
        Path out = Path.of("runs");
        long seed = 42;
        for (int i = 0; i < args.size(); i++) {
            String flag = args.get(i);
            if (i + 1 >= args.size()) {
                throw new IllegalArgumentException(flag + " needs a value");
            }
            String value = args.get(++i);
            switch (flag) {
                case "--model" -> model = choice(flag, value, MODELS);
                case "--epochs" -> epochs = positive(flag, value);
                case "--batch" -> batch = positive(flag, value);
                case "--lr" -> lr = positiveNumber(flag, value);
                case "--optimizer" -> optimizer = choice(flag, value, OPTIMIZERS);
                case "--backend" -> backend = value.toLowerCase(Locale.ROOT);
                case "--schedule" -> schedule = choice(flag, value, SCHEDULES);
                case "--inputs" -> inputs = choice(flag, value, INPUTS);
                case "--data" -> data = Path.of(value);
                case "--out" -> out = Path.of(value);
                case "--seed" -> seed = Long.parseLong(value);
                default -> throw new IllegalArgumentException("unknown option " + flag);
            }
        }
        return new TrainOptions(model, epochs, batch, lr, optimizer, backend, schedule, inputs, data, out, seed);
    }

    /** The model by name, initialized from the seed. */
    static Module model(String name, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        return switch (name) {
            case "mlp" -> Models.mlp(random);
            case "cnn" -> Models.cnn(random);
            case "logreg" -> Models.softmaxRegression(784, 10, random);
            default -> throw new IllegalArgumentException("unknown model " + name + "; one of " + MODELS);
        };
    }

    Optimizer newOptimizer(List<Tensor> params) {
        List<ParamGroup> groups = List.of(new ParamGroup(params, learningRate));
        return switch (optimizer) {
            case "adam" -> new Adam(params, learningRate);
            case "adamw" -> Adam.adamW(groups, 0.9f, 0.999f, 1e-8f, 0.01f);
            case "sgd" -> new Sgd(groups, 0.9f, 0, false, 0);
            case "rmsprop" -> new RmsProp(params, learningRate);
            case "adagrad" -> new Adagrad(params, learningRate);
            default -> throw new IllegalArgumentException("unknown optimizer " + optimizer + "; one of " + OPTIMIZERS);
        };
    }

    /** The per-batch learning-rate schedule of a run of {@code batches} batches, or null for a constant rate. */
    LrScheduler newSchedule(Optimizer optimizer, long batches) {
        return schedule.equals("cosine") ? LrScheduler.cosine(optimizer, Math.toIntExact(batches), 0) : null;
    }

    private static String choice(String flag, String value, List<String> allowed) {
        String v = value.toLowerCase(Locale.ROOT);
        if (!allowed.contains(v)) {
            throw new IllegalArgumentException(flag + " " + value + ": one of " + allowed);
        }
        return v;
    }

    private static int positive(String flag, String value) {
        try {
            int n = Integer.parseInt(value);
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException(flag + " " + value + ": a whole number >= 1");
    }

    private static double positiveNumber(String flag, String value) {
        try {
            double x = Double.parseDouble(value);
            if (x > 0 && Double.isFinite(x)) {
                return x;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException(flag + " " + value + ": a number > 0");
    }
}
