package org.isthmus.kernels.vector;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import org.isthmus.kernels.Parallelism;

/**
 * Buffers of one convolution call, kept between calls (one workspace per concurrent caller, up to
 * a bound, as {@link VectorGemm} keeps its own) and grown when a larger layer comes: packed
 * weights, and per part of the call a padded input band and an output band (off-heap: the
 * direct micro-kernel reads and writes them), or an im2col matrix, a staged image and a partial
 * weight gradient (float[]: sgemm reads heap operands through their array).
 */
final class ConvolutionWorkspace {

    private static final BlockingQueue<ConvolutionWorkspace> POOL =
            new ArrayBlockingQueue<>(Math.max(4, Parallelism.threads()));

    private MemorySegment packedWeights = MemorySegment.NULL;
    private float[] bias = new float[0];
    private float[] weights = new float[0];
    private float[] tapWeights = new float[0];
    private MemorySegment[] bandInputs = new MemorySegment[0];
    private float[][] bandOutputs = new float[0][];
    private MemorySegment[] panels = new MemorySegment[0];
    private float[][] columns = new float[0][];
    private float[][] images = new float[0][];
    private float[][] partials = new float[0][];
    private float[][] gradientInputs = new float[0][];
    private MemorySegment[] packedGradients = new MemorySegment[0];
    private MemorySegment[] tiles = new MemorySegment[0];
    private float[][] tapPlanes = new float[0][];
    private float[][] tapSums = new float[0][];
    private float[][] stagedImages = new float[0][];
    private float[][] winogradInputs = new float[0][];
    private float[][] winogradProducts = new float[0][];
    private float[][] winogradRows = new float[0][];

    static ConvolutionWorkspace acquire() {
        ConvolutionWorkspace workspace = POOL.poll();
        return workspace != null ? workspace : new ConvolutionWorkspace();
    }

    /** Returns the workspace for the next call; a full pool drops it (its automatic arenas free the memory). */
    void release() {
        POOL.offer(this);
    }

    MemorySegment packedWeights(long floats) {
        packedWeights = atLeast(packedWeights, floats);
        return packedWeights;
    }

    /** A zeroed float[] of at least {@code length}. */
    float[] bias(int length) {
        if (bias.length < length) {
            bias = new float[length];
        } else {
            Arrays.fill(bias, 0, length, 0f);
        }
        return bias;
    }

    /** A float[] of at least {@code length} for weights in the layout a kernel reads (contents undefined). */
    float[] weights(int length) {
        if (weights.length < length) {
            weights = new float[length];
        }
        return weights;
    }

    /** A float[] of at least {@code length} for {@link TapPlaneConvolution}'s packed weights (contents undefined). */
    float[] tapWeights(int length) {
        if (tapWeights.length < length) {
            tapWeights = new float[length];
        }
        return tapWeights;
    }

    /** Makes {@code parts} band inputs, band outputs and tap panels of the given sizes available. */
    void reserveBands(int parts, long inputFloats, long outputFloats, long panelFloats) {
        if (bandInputs.length < parts) {
            bandInputs = Arrays.copyOf(bandInputs, parts);
            bandOutputs = Arrays.copyOf(bandOutputs, parts);
            panels = Arrays.copyOf(panels, parts);
        }
        for (int p = 0; p < parts; p++) {
            bandInputs[p] = atLeast(bandInputs[p], inputFloats);
            bandOutputs[p] = atLeast(bandOutputs[p], Math.toIntExact(outputFloats));
            panels[p] = atLeast(panels[p], panelFloats);
        }
    }

    MemorySegment panel(int part) {
        return panels[part];
    }

    MemorySegment bandInput(int part) {
        return bandInputs[part];
    }

    float[] bandOutput(int part) {
        return bandOutputs[part];
    }

    /** Makes {@code parts} im2col matrices, staged images and partial gradients of the given sizes available. */
    void reserveColumns(int parts, int columnFloats, int imageFloats, int partialFloats) {
        if (columns.length < parts) {
            columns = Arrays.copyOf(columns, parts);
            images = Arrays.copyOf(images, parts);
            partials = Arrays.copyOf(partials, parts);
        }
        for (int p = 0; p < parts; p++) {
            columns[p] = atLeast(columns[p], columnFloats);
            images[p] = atLeast(images[p], imageFloats);
            partials[p] = atLeast(partials[p], partialFloats);
        }
    }

    float[] columns(int part) {
        return columns[part];
    }

    float[] image(int part) {
        return images[part];
    }

    float[] partial(int part) {
        return partials[part];
    }

    /**
     * Makes {@code parts} sets of weight-gradient buffers available: padded input (float[]: the
     * narrow sgemm kernel reads it in place), band of dy, packed dyᵀ, a register tile, a partial dwᵀ.
     */
    void reserveGradient(int parts, int inputFloats, int bandFloats, long packedFloats, int partialFloats) {
        // Each array grows on its own: reserveArrayInputs may have grown gradientInputs alone.
        reserveArrayInputs(parts, inputFloats);
        bandOutputs = Arrays.copyOf(bandOutputs, Math.max(parts, bandOutputs.length));
        packedGradients = Arrays.copyOf(packedGradients, Math.max(parts, packedGradients.length));
        tiles = Arrays.copyOf(tiles, Math.max(parts, tiles.length));
        partials = Arrays.copyOf(partials, Math.max(parts, partials.length));
        for (int p = 0; p < parts; p++) {
            bandOutputs[p] = atLeast(bandOutputs[p], bandFloats);
            packedGradients[p] = atLeast(packedGradients[p], packedFloats);
            tiles[p] = atLeast(tiles[p], (long) VectorGemm.MR * VectorGemm.NR);
            partials[p] = atLeast(partials[p], partialFloats);
        }
    }

    /**
     * Makes {@code parts} sets of {@link RowConvolution} buffers available: a padded image
     * (the crops, {@link #gradientInput}), an output or dy buffer ({@link #bandOutput}), vector partial
     * sums ({@link #partial}) and a staged image ({@link #image}).
     */
    void reserveRows(int parts, int inputFloats, int bufferFloats, int partialFloats, int imageFloats) {
        reserveArrayInputs(parts, inputFloats);
        bandOutputs = Arrays.copyOf(bandOutputs, Math.max(parts, bandOutputs.length));
        partials = Arrays.copyOf(partials, Math.max(parts, partials.length));
        images = Arrays.copyOf(images, Math.max(parts, images.length));
        for (int p = 0; p < parts; p++) {
            bandOutputs[p] = atLeast(bandOutputs[p], bufferFloats);
            partials[p] = atLeast(partials[p], partialFloats);
            images[p] = atLeast(images[p], imageFloats);
        }
    }

    /** Makes {@code parts} float[] padded inputs available (the buffers {@link #gradientInput} returns). */
    void reserveArrayInputs(int parts, int floats) {
        if (gradientInputs.length < parts) {
            gradientInputs = Arrays.copyOf(gradientInputs, parts);
        }
        for (int p = 0; p < parts; p++) {
            gradientInputs[p] = atLeast(gradientInputs[p], floats);
        }
    }

    float[] gradientInput(int part) {
        return gradientInputs[part];
    }

    MemorySegment packedGradient(int part) {
        return packedGradients[part];
    }

    MemorySegment tile(int part) {
        return tiles[part];
    }

    /**
     * Makes {@code parts} sets of {@link TapPlaneConvolution} buffers available: an image's tap
     * planes, its output sums, and the image itself, staged.
     */
    void reserveTapPlanes(int parts, int planeFloats, int sumFloats, int imageFloats) {
        if (tapPlanes.length < parts) {
            tapPlanes = Arrays.copyOf(tapPlanes, parts);
            tapSums = Arrays.copyOf(tapSums, parts);
            stagedImages = Arrays.copyOf(stagedImages, parts);
        }
        for (int p = 0; p < parts; p++) {
            tapPlanes[p] = atLeast(tapPlanes[p], planeFloats);
            tapSums[p] = atLeast(tapSums[p], sumFloats);
            stagedImages[p] = atLeast(stagedImages[p], imageFloats);
        }
    }

    float[] tapPlanes(int part) {
        return tapPlanes[part];
    }

    float[] tapSums(int part) {
        return tapSums[part];
    }

    float[] stagedImage(int part) {
        return stagedImages[part];
    }

    /**
     * Makes {@code parts} sets of {@link WinogradConvolution} buffers available: a chunk's
     * transformed input (V), products (M) and row scratch (its weights go to {@link #packedWeights}).
     */
    void reserveWinograd(int parts, int inputFloats, int productFloats, int rowFloats) {
        if (winogradInputs.length < parts) {
            winogradInputs = Arrays.copyOf(winogradInputs, parts);
            winogradProducts = Arrays.copyOf(winogradProducts, parts);
            winogradRows = Arrays.copyOf(winogradRows, parts);
        }
        for (int p = 0; p < parts; p++) {
            winogradInputs[p] = atLeast(winogradInputs[p], inputFloats);
            winogradProducts[p] = atLeast(winogradProducts[p], productFloats);
            winogradRows[p] = atLeast(winogradRows[p], rowFloats);
        }
    }

    float[] winogradInput(int part) {
        return winogradInputs[part];
    }

    float[] winogradProducts(int part) {
        return winogradProducts[part];
    }

    float[] winogradRows(int part) {
        return winogradRows[part];
    }

    private static MemorySegment atLeast(MemorySegment segment, long floats) {
        if (segment == null || segment.byteSize() < floats * Float.BYTES) {
            return Arena.ofAuto().allocate(Math.max(1, floats) * Float.BYTES, 64);
        }
        return segment;
    }

    private static float[] atLeast(float[] array, int floats) {
        return array == null || array.length < floats ? new float[floats] : array;
    }
}
