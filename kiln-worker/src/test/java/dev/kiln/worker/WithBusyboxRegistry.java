package dev.kiln.worker;

import dev.kiln.core.ImageReference;
import dev.kiln.oci.testing.LocalRegistry;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The base of the test classes whose builds start FROM a busybox image in a registry: before the class's tests, a
 * {@link BusyboxRegistry} ({@link #images}, whose {@link #registry} and {@link #busybox} are at hand) on a temporary
 * directory {@link #tmp}; after them, the registry stops. A subclass's own {@code @BeforeAll} methods run after this
 * one's and its {@code @AfterAll} methods before, so what it starts on top (an engine, a daemon) may use the
 * registry for as long as it runs.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class WithBusyboxRegistry {

    protected Path tmp;
    protected BusyboxRegistry images;
    protected LocalRegistry registry;
    protected ImageReference busybox;

    @BeforeAll
    protected void startBusyboxRegistry(@TempDir Path dir) throws Exception {
        tmp = dir;
        images = BusyboxRegistry.start(tmp);
        registry = images.registry();
        busybox = images.busybox();
    }

    @AfterAll
    protected void stopBusyboxRegistry() throws Exception {
        if (images != null) {
            images.close();
        }
    }
}
