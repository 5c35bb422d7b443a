package org.isthmus.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.isthmus.tensor.Storage;
import org.isthmus.tensor.Tensor;

/**
 * Zalando's Fashion-MNIST: 28×28 grey images of ten kinds of clothing, as {@link TensorDataset}s of
 * images [N, 1, 28, 28] scaled to [0, 1] and class indices 0–9 ({@link #CLASS_NAMES}).
 *
 * <p>{@link #load(String...)} looks in three places, in order, and {@link #source()} says which it used:
 * the folder after {@code --data} (an error if the files are not there: it was asked for), then
 * {@value #SYSTEM_FOLDER} (Debian's {@code dataset-fashion-mnist}), then a subset shipped in this jar:
 * 2,000 training and 500 test images cut from the official test set (see the README beside it). A
 * folder holds the four files under their upstream names, gzipped or not:
 * {@code train-images-idx3-ubyte[.gz]}, {@code train-labels-idx1-ubyte[.gz]},
 * {@code t10k-images-idx3-ubyte[.gz]}, {@code t10k-labels-idx1-ubyte[.gz]}. A file that is present but
 * damaged is a {@link org.isthmus.io.FileFormatException}, never a silent fall back to the next place.
 */
public final class FashionMnist {

    /** Where Debian's {@code dataset-fashion-mnist} package installs the data. */
    public static final String SYSTEM_FOLDER = "/usr/share/datasets/fashion-mnist";

    /** The class names, indexed by label. */
    public static final List<String> CLASS_NAMES = List.of(
            "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    static final String EMBEDDED_FOLDER = "fashion-mnist-subset/";

    private final TensorDataset train;
    private final TensorDataset test;
    private final String source;

    private FashionMnist(TensorDataset train, TensorDataset test, String source) {
        this.train = train;
        this.test = test;
        this.source = source;
    }

    /**
     * From the folder after {@code --data} (or {@code --data=DIR}) in args, else the system folder, else
     * the embedded subset. Other arguments are ignored.
     */
    public static FashionMnist load(String... args) throws IOException {
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--data")) {
                if (i + 1 == args.length) {
                    throw new IllegalArgumentException("--data needs a folder after it");
                }
                return fromFolder(Path.of(args[i + 1]), "--data " + args[i + 1]);
            }
            if (args[i].startsWith("--data=")) {
                String folder = args[i].substring("--data=".length());
                return fromFolder(Path.of(folder), "--data " + folder);
            }
        }
        Path system = Path.of(SYSTEM_FOLDER);
        if (Files.isDirectory(system)) {
            return fromFolder(system, SYSTEM_FOLDER + " (Debian dataset-fashion-mnist)");
        }
        return embedded();
    }

    /** The four files in folder. */
    public static FashionMnist fromFolder(Path folder) throws IOException {
        return fromFolder(folder, folder.toString());
    }

    /** The subset shipped in this jar: 2,000 training and 500 test images, both cut from the official test set. */
    public static FashionMnist embedded() throws IOException {
        TensorDataset train = read(new ResourceFiles(), "train");
        TensorDataset test = read(new ResourceFiles(), "t10k");
        return new FashionMnist(train, test, "embedded subset (" + train.size() + " training and " + test.size()
                + " test images from the Fashion-MNIST test set)");
    }

    /** Training examples. */
    public TensorDataset train() {
        return train;
    }

    /** Test examples. */
    public TensorDataset test() {
        return test;
    }

    /** Where the data came from, for logs: the folder, or the embedded subset. */
    public String source() {
        return source;
    }

    private static FashionMnist fromFolder(Path folder, String description) throws IOException {
        FolderFiles files = new FolderFiles(folder);
        TensorDataset train = read(files, "train");
        TensorDataset test = read(files, "t10k");
        return new FashionMnist(train, test, description + " (" + train.size() + " training and " + test.size()
                + " test images)");
    }

    /** The four files, found by their upstream names in a folder or among this jar's resources. */
    private interface IdxFiles {
        IdxReader.IdxArray read(String name, int magic) throws IOException;

        /** Where the files are, for error messages. */
        String location();
    }

    private record FolderFiles(Path folder) implements IdxFiles {
        /** Tries name.gz, then name. */
        @Override
        public IdxReader.IdxArray read(String name, int magic) throws IOException {
            for (String candidate : List.of(name + ".gz", name)) {
                Path file = folder.resolve(candidate);
                if (Files.isRegularFile(file)) {
                    return IdxReader.read(file, magic);
                }
            }
            throw new IOException("Fashion-MNIST: neither " + name + ".gz nor " + name + " is in " + location());
        }

        @Override
        public String location() {
            return folder.toAbsolutePath().toString();
        }
    }

    private record ResourceFiles() implements IdxFiles {
        @Override
        public IdxReader.IdxArray read(String name, int magic) throws IOException {
            String resource = EMBEDDED_FOLDER + name + ".gz";
            try (InputStream in = FashionMnist.class.getResourceAsStream(resource)) {
                if (in == null) {
                    throw new IOException("the embedded Fashion-MNIST subset is missing " + resource
                            + " from the class path");
                }
                return IdxReader.read(in, "resource " + resource, magic);
            }
        }

        @Override
        public String location() {
            return "the embedded subset";
        }
    }

    private static TensorDataset read(IdxFiles files, String split) throws IOException {
        String imagesName = split + "-images-idx3-ubyte";
        String labelsName = split + "-labels-idx1-ubyte";
        IdxReader.IdxArray images = files.read(imagesName, IdxReader.IMAGES_MAGIC);
        IdxReader.IdxArray labels = files.read(labelsName, IdxReader.LABELS_MAGIC);
        int count = images.dimensions()[0];
        int rows = images.dimensions()[1];
        int columns = images.dimensions()[2];
        if (rows != 28 || columns != 28) {
            throw new IOException("Fashion-MNIST " + imagesName + " in " + files.location() + " holds " + rows + "×"
                    + columns + " images, not 28×28");
        }
        if (labels.dimensions()[0] != count) {
            throw new IOException("Fashion-MNIST " + imagesName + " in " + files.location() + " holds " + count
                    + " images but " + labelsName + " holds " + labels.dimensions()[0] + " labels");
        }
        int[] classes = new int[count];
        for (int i = 0; i < count; i++) {
            classes[i] = labels.unsigned(i);
            if (classes[i] >= CLASS_NAMES.size()) {
                throw new IOException("Fashion-MNIST " + labelsName + " in " + files.location() + ": label " + i
                        + " is " + classes[i] + ", outside the classes 0–" + (CLASS_NAMES.size() - 1));
            }
        }
        byte[] bytes = images.values();
        float[] pixels = new float[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            pixels[i] = (bytes[i] & 0xff) / 255f;
        }
        return new TensorDataset(Tensor.of(Storage.wrap(pixels), count, 1, rows, columns), classes);
    }
}
