package org.isthmus.kernels;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Bad sgemm arguments are refused before any work, with the argument and the shape in the message. */
class GemmArgumentsTest {

    private static final MemorySegment SIX_BY_SIX = MemorySegment.ofArray(new float[36]);

    static Stream<Arguments> everyBackend() {
        return Backends.available().stream().filter(BackendStatus::available)
                .map(status -> Arguments.of(Named.of(status.name(), Backends.get(status.name()))));
    }

    private static void refuses(Backend backend, String expectedInMessage, Runnable call) {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, call::run, backend.name());
        assertTrue(error.getMessage().contains(expectedInMessage),
                () -> "message '" + error.getMessage() + "' should mention '" + expectedInMessage + "'");
        assertTrue(error.getMessage().contains("m="), () -> "message '" + error.getMessage() + "' should show the shape");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everyBackend")
    void refusesNegativeSizes(Backend backend) {
        MemorySegment s = SIX_BY_SIX;
        assertAll(
                () -> refuses(backend, "sizes must be >= 0", () -> backend.sgemm(false, false, -1, 2, 2, 1f, s, 0, 2, s, 0, 2, 0f, s, 0, 2)),
                () -> refuses(backend, "sizes must be >= 0", () -> backend.sgemm(false, false, 2, -2, 2, 1f, s, 0, 2, s, 0, 2, 0f, s, 0, 2)),
                () -> refuses(backend, "sizes must be >= 0", () -> backend.sgemm(false, false, 2, 2, -3, 1f, s, 0, 2, s, 0, 2, 0f, s, 0, 2)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everyBackend")
    void refusesLeadingDimensionsShorterThanARow(Backend backend) {
        MemorySegment s = SIX_BY_SIX;
        assertAll(
                // A is 3x4 (no transpose): lda must be >= 4.
                () -> refuses(backend, "lda=3", () -> backend.sgemm(false, false, 3, 2, 4, 1f, s, 0, 3, s, 0, 2, 0f, s, 0, 2)),
                // A is stored 4x3 when transposed: lda must be >= 3.
                () -> refuses(backend, "lda=2", () -> backend.sgemm(true, false, 3, 2, 4, 1f, s, 0, 2, s, 0, 2, 0f, s, 0, 2)),
                () -> refuses(backend, "ldb=1", () -> backend.sgemm(false, false, 2, 2, 2, 1f, s, 0, 2, s, 0, 1, 0f, s, 0, 2)),
                () -> refuses(backend, "ldb=1", () -> backend.sgemm(false, true, 2, 2, 2, 1f, s, 0, 2, s, 0, 1, 0f, s, 0, 2)),
                () -> refuses(backend, "ldc=1", () -> backend.sgemm(false, false, 2, 2, 2, 1f, s, 0, 2, s, 0, 2, 0f, s, 0, 1)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everyBackend")
    void refusesSegmentsTooSmallForTheShape(Backend backend) {
        MemorySegment s = SIX_BY_SIX;
        MemorySegment small = MemorySegment.ofArray(new float[11]);
        assertAll(
                () -> refuses(backend, "a (3x4", () -> backend.sgemm(false, false, 3, 2, 4, 1f, small, 0, 4, s, 0, 2, 0f, s, 0, 2)),
                () -> refuses(backend, "b (4x2", () -> backend.sgemm(false, false, 3, 2, 4, 1f, s, 0, 4,
                        MemorySegment.ofArray(new float[7]), 0, 2, 0f, s, 0, 2)),
                // An offset that pushes the last element past the end.
                () -> refuses(backend, "offset 1", () -> backend.sgemm(false, false, 6, 6, 1, 1f, s, 0, 1, s, 0, 6, 0f, s, 1, 6)),
                // Native memory too.
                () -> refuses(backend, "holds 8", () -> backend.sgemm(false, false, 3, 3, 3, 1f,
                        Arena.ofAuto().allocate(32), 0, 3, s, 0, 3, 0f, s, 0, 3)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everyBackend")
    void refusesNullAndReadOnlyOutput(Backend backend) {
        MemorySegment s = SIX_BY_SIX;
        assertAll(
                () -> refuses(backend, "a is null", () -> backend.sgemm(false, false, 2, 2, 2, 1f, null, 0, 2, s, 0, 2, 0f, s, 0, 2)),
                () -> refuses(backend, "b is null", () -> backend.sgemm(false, false, 2, 2, 2, 1f, s, 0, 2, null, 0, 2, 0f, s, 0, 2)),
                () -> refuses(backend, "c is null", () -> backend.sgemm(false, false, 2, 2, 2, 1f, s, 0, 2, s, 0, 2, 0f, null, 0, 2)),
                () -> refuses(backend, "read-only", () -> backend.sgemm(false, false, 2, 2, 2, 1f, s, 0, 2, s, 0, 2, 0f,
                        MemorySegment.ofArray(new float[4]).asReadOnly(), 0, 2)),
                () -> refuses(backend, "aOffset=-1", () -> backend.sgemm(false, false, 2, 2, 2, 1f, s, -1, 2, s, 0, 2, 0f, s, 0, 2)));
    }
}
