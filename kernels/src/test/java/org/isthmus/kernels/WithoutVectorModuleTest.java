package org.isthmus.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Runs in its own surefire execution, on a JVM started without {@code --add-modules
 * jdk.incubator.vector} (see kernels/pom.xml): the library must still load, say why the vector
 * backend is unavailable, and compute on the scalar fallback.
 */
class WithoutVectorModuleTest {

    @BeforeAll
    static void onlyWithoutTheModule() {
        assertFalse(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(),
                "this test must run on a JVM without jdk.incubator.vector (surefire execution 'without-vector-module')");
    }

    @Test
    void vectorIsUnavailableWithTheReasonAndHowToEnableIt() {
        BackendUnavailableException error = assertThrows(BackendUnavailableException.class, () -> Backends.get("vector"));
        assertTrue(error.getMessage().contains("--add-modules jdk.incubator.vector"), error.getMessage());
        BackendStatus status = Backends.available().stream().filter(s -> s.name().equals("vector")).findFirst().orElseThrow();
        assertFalse(status.available());
        assertTrue(Backends.describe().contains("unavailable"), Backends.describe());
    }

    @Test
    void autoFallsBackToScalarAndComputes() {
        Backend backend = Backends.current();
        assertEquals("scalar", backend.name());
        float[] c = new float[4];
        backend.sgemm(false, false, 2, 2, 2, 1f, MemorySegment.ofArray(new float[] {1, 2, 3, 4}), 0, 2,
                MemorySegment.ofArray(new float[] {5, 6, 7, 8}), 0, 2, 0f, MemorySegment.ofArray(c), 0, 2);
        assertEquals(19f, c[0]);
        assertEquals(22f, c[1]);
        assertEquals(43f, c[2]);
        assertEquals(50f, c[3]);
    }
}
