package dev.kiln.engine;

import dev.kiln.oci.testing.Resources;
import dev.kiln.worker.WithBusyboxRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The base of the engine test classes that build FROM a busybox image in a registry: before the class's tests, a
 * registry holding busybox ({@link #images}, whose {@link #registry} and {@link #busybox} are at hand) and an engine
 * ({@link #kiln}) on a temporary directory ({@link #tmp}); after them, both stop.
 */
abstract class EngineWithBusybox extends WithBusyboxRegistry {

    EngineFixture kiln;

    @BeforeAll
    void startEngine() throws Exception {
        kiln = new EngineFixture(tmp.resolve("engine"));
    }

    @AfterAll
    void stopEngine() throws Exception {
        Resources.closeAll(kiln);
    }
}
