package org.isthmus.kernels;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every available backend's sgemm against the scalar reference (double accumulation), on random
 * data, with the relative-error bound of {@link GemmCase#tolerance()}.
 */
class GemmTest {

    private static final int[] SIZES = {1, 2, 3, 7, 15, 16, 17, 31, 33, 64, 65, 127, 129, 255, 300};
    private static final float[][] ALPHA_BETA = {{1f, 0f}, {1f, 1f}, {-0.5f, 2f}, {2.5f, -1f}};
    private static final boolean[] BOOLEANS = {false, true};

    /** The backends under test: every available one but the reference itself. */
    static List<Backend> backends() {
        return Backends.available().stream()
                .filter(status -> status.available() && !status.name().equals("scalar"))
                .map(status -> Backends.get(status.name()))
                .toList();
    }

    private static Stream<Arguments> across(List<GemmCase> cases) {
        return backends().stream().flatMap(backend -> cases.stream()
                .map(gemm -> Arguments.of(Named.of(backend.name(), backend), gemm)));
    }

    /** Each size cubed, every transpose case, alternating alpha/beta. */
    static Stream<Arguments> cubes() {
        List<GemmCase> cases = new ArrayList<>();
        int variant = 0;
        for (int size : SIZES) {
            for (boolean transA : BOOLEANS) {
                for (boolean transB : BOOLEANS) {
                    float[] ab = ALPHA_BETA[variant++ % ALPHA_BETA.length];
                    cases.add(GemmCase.plain(transA, transB, size, size, size, ab[0], ab[1]));
                }
            }
        }
        return across(cases);
    }

    /** Mixed m, n, k drawn from the size list (fixed draw, so the names stay stable), every case. */
    static Stream<Arguments> mixedShapes() {
        SplittableRandom draw = new SplittableRandom(42);
        List<GemmCase> cases = new ArrayList<>();
        for (int i = 0; i < 48; i++) {
            float[] ab = ALPHA_BETA[i % ALPHA_BETA.length];
            cases.add(GemmCase.plain(i % 2 == 1, i / 2 % 2 == 1, SIZES[draw.nextInt(SIZES.length)],
                    SIZES[draw.nextInt(SIZES.length)], SIZES[draw.nextInt(SIZES.length)], ab[0], ab[1]));
        }
        // Shapes the API will run: an MLP's layers and a thin output layer.
        for (boolean transA : BOOLEANS) {
            for (boolean transB : BOOLEANS) {
                cases.add(GemmCase.plain(transA, transB, 128, 256, 784, 1f, 0f));
                cases.add(GemmCase.plain(transA, transB, 128, 10, 256, 1f, 1f));
            }
        }
        return across(cases);
    }

    /** Large products: several cache blocks in every dimension and both threads. */
    static Stream<Arguments> large() {
        List<GemmCase> cases = new ArrayList<>();
        cases.add(GemmCase.plain(false, false, 1031, 1031, 1031, 1f, 0f));
        cases.add(GemmCase.plain(true, true, 1024, 1024, 1024, -0.5f, 2f));
        cases.add(GemmCase.plain(false, true, 512, 1031, 700, 1f, 1f));
        cases.add(GemmCase.plain(true, false, 1031, 512, 1024, 2.5f, -1f));
        cases.add(GemmCase.plain(false, false, 9, 2200, 300, 1f, 0f));
        // Several panels of B (three of 704 columns at 16 lanes, two of 1056 at 8 or 4), A packed for each.
        cases.add(GemmCase.plain(false, false, 40, 2100, 2000, 0.5f, 1f));
        // Narrow products on the direct path, large enough for both threads.
        cases.add(GemmCase.plain(false, false, 3001, 20, 500, 1f, 0f));
        cases.add(GemmCase.plain(false, true, 2999, 31, 400, -0.5f, 2f));
        return across(cases);
    }

    /** Offsets and leading dimensions wider than the rows, on heap and native memory. */
    static Stream<Arguments> layouts() {
        List<GemmCase> cases = new ArrayList<>();
        for (boolean nativeMemory : BOOLEANS) {
            for (boolean transA : BOOLEANS) {
                for (boolean transB : BOOLEANS) {
                    cases.add(new GemmCase(transA, transB, 37, 45, 29, 1f, 0f, 5, 3, nativeMemory));
                    cases.add(new GemmCase(transA, transB, 130, 70, 300, -0.5f, 2f, 17, 11, nativeMemory));
                    cases.add(new GemmCase(transA, transB, 1, 1, 1, 2f, 1f, 1, 7, nativeMemory));
                    cases.add(new GemmCase(transA, transB, 200, 300, 260, 1f, 1f, 3, 1, nativeMemory));
                }
            }
        }
        return across(cases);
    }

    /** Degenerate sizes: k = 0 and alpha = 0 only scale C; m or n = 0 touch nothing. */
    static Stream<Arguments> degenerate() {
        List<GemmCase> cases = new ArrayList<>();
        for (float beta : new float[] {0f, 1f, -3f}) {
            cases.add(GemmCase.plain(false, false, 17, 33, 0, 1f, beta));
            cases.add(GemmCase.plain(true, false, 17, 33, 5, 0f, beta));
            cases.add(GemmCase.plain(false, true, 0, 33, 5, 1f, beta));
            cases.add(GemmCase.plain(true, true, 17, 0, 5, 1f, beta));
        }
        return across(cases);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource({"cubes", "mixedShapes", "layouts", "degenerate"})
    void matchesReference(Backend backend, GemmCase gemm) {
        check(backend, gemm);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("large")
    void matchesReferenceOnLargeProducts(Backend backend, GemmCase gemm) {
        check(backend, gemm);
    }

    /** In the forced-width run (kernels/pom.xml, vector-128-bit) the kernels really use that width. */
    @Test
    void usesTheForcedVectorWidth() {
        String bits = System.getProperty("isthmus.vector.bits");
        assumeTrue(bits != null, "runs only where -Disthmus.vector.bits is set");
        String description = Backends.get("vector").description();
        assertTrue(description.contains(bits + "-bit species"), description);
    }

    private static void check(Backend backend, GemmCase gemm) {
        double error = gemm.relativeError(backend, TestSeeds.forCase(gemm));
        assertTrue(error <= gemm.tolerance(), () -> backend.name() + " " + gemm + ": relative error " + error
                + " exceeds " + gemm.tolerance() + " (seed " + TestSeeds.BASE + ")");
    }
}
