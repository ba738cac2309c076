package dev.kiln.engine;

import dev.kiln.core.ImageReference;
import dev.kiln.oci.testing.LocalRegistry;
import dev.kiln.oci.testing.Resources;
import dev.kiln.worker.BusyboxRegistry;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The base of the engine test classes that build FROM a busybox image in a registry: before the class's tests, an
 * engine ({@link #kiln}) on a temporary directory ({@link #tmp}) and a registry holding busybox ({@link #images}, whose
 * {@link #registry} and {@link #busybox} are at hand); after them, both stop.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class EngineWithBusybox {

    Path tmp;
    EngineFixture kiln;
    BusyboxRegistry images;
    LocalRegistry registry;
    ImageReference busybox;

    @BeforeAll
    void startEngineAndRegistry(@TempDir Path dir) throws Exception {
        tmp = dir;
        kiln = new EngineFixture(tmp.resolve("engine"));
        images = BusyboxRegistry.start(tmp);
        registry = images.registry();
        busybox = images.busybox();
    }

    @AfterAll
    void stopEngineAndRegistry() throws Exception {
        Resources.closeAll(kiln, images);
    }
}
