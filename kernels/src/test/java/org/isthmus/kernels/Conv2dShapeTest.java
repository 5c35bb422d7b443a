package org.isthmus.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Output sizes follow floor((H + 2p − d(k−1) − 1)/s) + 1; impossible geometries are refused. */
class Conv2dShapeTest {

    private static Conv2dShape square(int size, int channels, int filters, int kernel, int stride, int pad, int dilation) {
        return new Conv2dShape(1, channels, size, size, filters, kernel, kernel, stride, stride, pad, pad, dilation, dilation);
    }

    @Test
    void outputSizes() {
        Conv2dShape sixBySix = square(6, 1, 1, 3, 1, 0, 1);
        assertEquals(4, sixBySix.outHeight());
        assertEquals(4, sixBySix.outWidth());
        assertEquals(26, square(28, 1, 25, 3, 1, 0, 1).outHeight());
        assertEquals(28, square(28, 1, 32, 3, 1, 1, 1).outWidth());
        assertEquals(7, square(14, 1, 1, 3, 2, 1, 1).outHeight());
        assertEquals(10, square(14, 1, 1, 3, 1, 0, 2).outHeight());
        Conv2dShape rectangular = new Conv2dShape(2, 3, 10, 7, 4, 3, 2, 2, 1, 1, 0, 1, 3);
        assertEquals((10 + 2 - 2 - 1) / 2 + 1, rectangular.outHeight());
        assertEquals((7 - 3 - 1) + 1, rectangular.outWidth());
    }

    @Test
    void refusesImpossibleGeometry() {
        IllegalArgumentException tooLarge = assertThrows(IllegalArgumentException.class, () -> square(2, 1, 1, 5, 1, 1, 1));
        assertTrue(tooLarge.getMessage().contains("input 1x1x2x2") && tooLarge.getMessage().contains("weights 1x1x5x5"),
                tooLarge.getMessage());
        assertThrows(IllegalArgumentException.class, () -> square(8, 0, 1, 3, 1, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> square(8, 1, 1, 3, 0, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> square(8, 1, 1, 3, 1, -1, 1));
    }
}
