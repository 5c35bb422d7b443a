package org.isthmus.kernels;

/**
 * The counter-based generator behind {@link Backend#dropout}: element i is kept or dropped by a
 * hash of (seed, i) alone, so every backend, thread count and split of the work draws the same
 * mask. The hash is 32-bit (an add, two multiplies and three xor-shifts of murmur3's finalizer),
 * because AVX2 has a 32-bit lane multiply but no 64-bit one: a vector backend repeats exactly
 * these integer steps lane by lane.
 *
 * <p>Element i is kept when {@code bits(seed, i) >= threshold(p)}: bits is the hash's top 24
 * bits, uniform in [0, 2²⁴), so the chance of a drop is threshold/2²⁴ = p rounded up to a
 * multiple of 2⁻²⁴ (exactly 0 for p = 0, exactly 1 for p = 1).
 */
public final class DropoutMask {

    /** Multiplier of the index: the golden ratio in 32 bits, so neighbouring indices land far apart. */
    public static final int INDEX_MULTIPLIER = 0x9E3779B9;
    /** The two multipliers of murmur3's fmix32. */
    public static final int MIX_MULTIPLIER_1 = 0x85EBCA6B;
    public static final int MIX_MULTIPLIER_2 = 0xC2B2AE35;
    /** Bits of the hash used: a float holds every integer below 2²⁴ exactly. */
    public static final int BITS = 24;

    private DropoutMask() {
    }

    /** The 32-bit key mixed into every index: SplitMix64's finalizer of the seed, folded to 32 bits. */
    public static int key(long seed) {
        long z = seed + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        return (int) (z ^ (z >>> 32));
    }

    /** Uniform in [0, 2²⁴): fmix32(i·golden + key), top 24 bits. */
    public static int bits(int key, int index) {
        int h = index * INDEX_MULTIPLIER + key;
        h ^= h >>> 16;
        h *= MIX_MULTIPLIER_1;
        h ^= h >>> 13;
        h *= MIX_MULTIPLIER_2;
        h ^= h >>> 16;
        return h >>> (32 - BITS);
    }

    /** Elements with bits below this are dropped: ⌈p·2²⁴⌉, from 0 (p = 0) to 2²⁴ (p = 1). */
    public static int threshold(float p) {
        return (int) Math.ceil(p * (double) (1 << BITS));
    }

    /**
     * The mask value of a kept element, 1/(1 − p); 0 when p = 1, where nothing is kept and
     * 1/(1 − p) would be infinite (and x·∞·0 NaN).
     */
    public static float keptScale(float p) {
        return p < 1f ? (float) (1.0 / (1.0 - p)) : 0f;
    }

    /** mask[i] for this seed and p: 0 or {@link #keptScale}. */
    public static float mask(long seed, int index, float p) {
        return bits(key(seed), index) >= threshold(p) ? keptScale(p) : 0f;
    }
}
