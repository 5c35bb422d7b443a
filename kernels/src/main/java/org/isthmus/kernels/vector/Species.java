package org.isthmus.kernels.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float species every Vector API kernel uses: the machine's preferred width, or the width
 * forced with {@code -Disthmus.vector.bits=128|256|512} (tests use it to cover every width).
 * A {@code static final} so that C2 folds it into constants.
 */
final class Species {

    static final VectorSpecies<Float> FLOAT = choose();

    private Species() {
    }

    private static VectorSpecies<Float> choose() {
        String forced = System.getProperty("isthmus.vector.bits");
        if (forced == null || forced.isBlank()) {
            return FloatVector.SPECIES_PREFERRED;
        }
        int bits = Integer.parseInt(forced.trim());
        int preferredBits = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        if (bits != 128 && bits != 256 && bits != 512 || bits > preferredBits) {
            throw new IllegalArgumentException("-Disthmus.vector.bits=" + forced + " must be 128, 256 or 512 and at most "
                    + "this machine's " + preferredBits + " bits");
        }
        return VectorSpecies.of(float.class, VectorShape.forBitSize(bits));
    }
}
