package org.isthmus.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Finding, naming and choosing backends. */
class BackendsTest {

    @Test
    void scalarAndVectorAreFoundWithTheIncubatorModule() {
        assertTrue(Backends.get("scalar").name().equals("scalar"));
        assertEquals("vector", Backends.get("vector").name());
        assertEquals("vector", Backends.get("auto").name(), "auto picks the fastest available backend");
        assertTrue(Backends.available().stream().anyMatch(s -> s.name().equals("vector") && s.available()));
    }

    @Test
    void anUnknownNameSaysWhichAreKnown() {
        BackendUnavailableException error = assertThrows(BackendUnavailableException.class, () -> Backends.get("tpu"));
        assertTrue(error.getMessage().contains("scalar") && error.getMessage().contains("vector"), error.getMessage());
    }

    @Test
    void theSystemPropertyChoosesTheCurrentBackend() {
        String before = System.getProperty("isthmus.backend");
        try {
            System.setProperty("isthmus.backend", "scalar");
            assertEquals("scalar", Backends.current().name());
            System.setProperty("isthmus.backend", " Vector ");
            assertEquals("vector", Backends.current().name());
        } finally {
            if (before == null) {
                System.clearProperty("isthmus.backend");
            } else {
                System.setProperty("isthmus.backend", before);
            }
        }
    }

    @Test
    void describeNamesEveryBackendAndTheChoice() {
        String text = Backends.describe();
        assertTrue(text.contains("scalar") && text.contains("vector") && text.contains("->"), text);
        assertTrue(text.contains("bit species"), "the vector line states its width: " + text);
    }
}
