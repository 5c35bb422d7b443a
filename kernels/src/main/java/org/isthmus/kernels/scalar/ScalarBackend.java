package org.isthmus.kernels.scalar;

import org.isthmus.kernels.CheckedBackend;
import org.isthmus.kernels.KernelSet;

/**
 * Plain loops accumulating in double: the reference every other backend is checked against,
 * and the fallback when {@code jdk.incubator.vector} is not resolved.
 */
public final class ScalarBackend extends CheckedBackend {

    public static final String NAME = "scalar";

    public ScalarBackend() {
        super(new KernelSet(ScalarGemm::sgemm, new ScalarSoftmax(), new ScalarNormalization(),
                new ScalarConvolution(), new ScalarPooling(), new ScalarElementwise(), new ScalarReductions()));
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "reference loops, double accumulation, one thread";
    }
}
