package org.isthmus.kernels.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link GemmPacking}'s packings into blocks that hold the previous product's panel (NaN here): every
 * packed element is its source element times the scale, the padding columns are zero again, and
 * nothing past the block is written.
 */
class GemmPackingTest {

    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @ParameterizedTest(name = "{0} lines of {1}, stride {2}, heap {3}")
    @CsvSource({"10, 256, 32, true", "1, 7, 32, true", "31, 33, 32, false", "32, 17, 32, true", "6, 5, 6, false",
            "17, 48, 32, false", "16, 16, 32, true", "5, 3, 32, true", "20, 40, 48, true"})
    void transposedPacksTheLinesAsColumnsAndZeroesThePadding(int lines, int length, int stride, boolean heap) {
        int ld = length + 3;
        int offset = 2;
        float scale = -1.5f;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment source = heap ? MemorySegment.ofArray(new float[offset + lines * ld])
                    : arena.allocate((long) (offset + lines * ld) * Float.BYTES);
            for (int i = 0; i < offset + lines * ld; i++) {
                source.setAtIndex(FLOAT, i, i + 0.25f);
            }
            long base = 5;
            MemorySegment packed = arena.allocate((base + (long) length * stride + 4) * Float.BYTES);
            for (long i = 0; i < packed.byteSize() / Float.BYTES; i++) {
                packed.setAtIndex(FLOAT, i, Float.NaN);
            }

            GemmPacking.transposed(Operand.of(source), offset, ld, lines, length, packed, base, stride, scale);

            for (int p = 0; p < length; p++) {
                for (int column = 0; column < stride; column++) {
                    float expected = column < lines ? scale * (offset + column * ld + p + 0.25f) : 0f;
                    assertEquals(expected, packed.getAtIndex(FLOAT, base + (long) p * stride + column),
                            "packed row " + p + ", column " + column);
                }
            }
            assertEquals(Float.NaN, packed.getAtIndex(FLOAT, base - 1), "the element before the block");
            assertEquals(Float.NaN, packed.getAtIndex(FLOAT, base + (long) length * stride), "the element after it");
        }
    }

    @ParameterizedTest(name = "{0} rows into {1} slivers, the last row ending the array: {2}")
    @CsvSource({"7, 1, true", "1, 3, false", "2, 16, true", "3, 2, false", "784, 5, true", "784, 5, false"})
    void rowsOfSixPackEachRowIntoItsSliverAndWriteNothingPastIt(int rows, int slivers, boolean lastRowEndsTheArray) {
        int ld = 6 * slivers + 5;
        int start = 3;
        float scale = 0.5f;
        // A last row that ends the array takes the scalar path: its vector loads would pass the end.
        float[] source = new float[start + (rows - 1) * ld + 6 * slivers + (lastRowEndsTheArray ? 0 : 16)];
        for (int i = 0; i < source.length; i++) {
            source[i] = i;
        }
        long base = 2;
        // Room for a padding row after each sliver, as VectorGemm packs an odd depth, and a gap after it.
        long sliverFloats = 6L * (rows + 1) + 16;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment packed = arena.allocate((base + slivers * sliverFloats) * Float.BYTES);
            packed.fill((byte) 0xff);

            GemmPacking.rowsOfSix(source, start, ld, rows, slivers, packed, base, sliverFloats, scale);

            for (int s = 0; s < slivers; s++) {
                long sliver = base + s * sliverFloats;
                for (int r = 0; r < rows; r++) {
                    for (int j = 0; j < 6; j++) {
                        assertEquals(scale * source[start + r * ld + 6 * s + j], packed.getAtIndex(FLOAT, sliver + 6L * r + j),
                                "sliver " + s + ", row " + r + ", float " + j);
                    }
                }
                for (long i = sliver + 6L * rows; i < sliver + sliverFloats; i++) {
                    assertEquals(Float.NaN, packed.getAtIndex(FLOAT, i), "sliver " + s + ": the padding row and the gap");
                }
            }
            assertEquals(Float.NaN, packed.getAtIndex(FLOAT, base - 1), "the element before the slivers");
        }
    }

    @ParameterizedTest(name = "{0} positions, lines {1} apart")
    @CsvSource({"1, 3", "5, 9", "7, 7", "8, 8", "9, 20", "15, 16", "16, 16", "17, 33", "24, 2048", "31, 40", "1031, 1100"})
    void transposeSixLinesPacksEachPositionAsSixFloatsAndWritesNothingPastThem(int length, int ld) {
        int start = 4;
        float scale = -0.75f;
        float[] source = new float[start + 5 * ld + length];
        for (int i = 0; i < source.length; i++) {
            source[i] = i + 0.5f;
        }
        long base = 3;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment packed = arena.allocate((base + 6L * length + 6) * Float.BYTES);
            packed.fill((byte) 0xff);

            GemmPacking.transposeSixLines(source, start, ld, length, packed, base, scale);

            for (int p = 0; p < length; p++) {
                for (int line = 0; line < 6; line++) {
                    assertEquals(scale * source[start + line * ld + p], packed.getAtIndex(FLOAT, base + 6L * p + line),
                            "position " + p + ", line " + line);
                }
            }
            for (int j = 0; j < 6; j++) {
                assertEquals(Float.NaN, packed.getAtIndex(FLOAT, base + 6L * length + j), "the padding step");
            }
            assertEquals(Float.NaN, packed.getAtIndex(FLOAT, base - 1), "the element before the sliver");
        }
    }
}
