package org.isthmus.ffi.cublas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.isthmus.kernels.Backend;
import org.isthmus.kernels.BackendStatus;
import org.isthmus.kernels.BackendUnavailableException;
import org.isthmus.kernels.Backends;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/** Without a usable GPU: both GPU backends say why, on one line each, and everything else runs as before. */
class UnavailableCublasTest {

    private static String reasonOrSkip() {
        try {
            CudaLibrary.get();
        } catch (CudaLibrary.LoadFailure failure) {
            return failure.getMessage();
        }
        assumeTrue(false, "a GPU is usable here; the unavailable path is tested on machines without one");
        throw new AssertionError();
    }

    @Test
    void bothGpuBackendsReportTheReason() {
        String reason = reasonOrSkip();
        for (String name : List.of(CublasBackend.NAME, GpuCrossoverBackend.NAME)) {
            BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> Backends.get(name));
            assertEquals("backend '" + name + "' is unavailable: " + reason, e.getMessage());
            BackendStatus status = Backends.available().stream().filter(s -> s.name().equals(name)).findFirst()
                    .orElseThrow();
            assertFalse(status.available());
            assertEquals(reason, status.detail());
        }
        String described = Backends.describe();
        assertEquals(1, described.lines().filter(line -> line.trim().startsWith(CublasBackend.NAME + " ")).count(),
                described);
        assertEquals(1, described.lines().filter(line -> line.trim().startsWith(GpuCrossoverBackend.NAME + " ")).count(),
                described);
        assertTrue(described.lines().filter(line -> line.contains(reason)).allMatch(line -> line.contains("unavailable")),
                described);
    }

    @Test
    void autoComputesOnTheCpu() {
        reasonOrSkip();
        Backend auto = Backends.get("auto");
        assertNotEquals(GpuCrossoverBackend.NAME, auto.name());
        MemorySegment c = MemorySegment.ofArray(new float[1]);
        auto.sgemm(false, false, 1, 1, 2, 1f, MemorySegment.ofArray(new float[] {1, 2}), 0, 2,
                MemorySegment.ofArray(new float[] {5, 7}), 0, 1, 0f, c, 0, 1);
        assertEquals(19f, c.getAtIndex(ValueLayout.JAVA_FLOAT, 0));
    }
}
