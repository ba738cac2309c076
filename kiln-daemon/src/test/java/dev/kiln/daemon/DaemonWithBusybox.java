package dev.kiln.daemon;

import dev.kiln.core.ImageReference;
import dev.kiln.oci.testing.Resources;
import dev.kiln.worker.BusyboxRegistry;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The base of the daemon test classes whose tests share one daemon and whose builds start FROM busybox: before the
 * class's tests it starts a registry holding busybox ({@link #busybox}) and a daemon ({@link #daemon}) on a
 * temporary directory ({@link #tmp}), and stops both after them. A subclass's own {@code @BeforeAll} methods run after
 * this one's, so they may use the daemon.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class DaemonWithBusybox {

    Path tmp;
    BusyboxRegistry images;
    ImageReference busybox;
    DaemonFixture daemon;

    @BeforeAll
    void startDaemonAndRegistry(@TempDir Path dir) throws Exception {
        tmp = dir;
        images = BusyboxRegistry.start(tmp);
        busybox = images.busybox();
        daemon = new DaemonFixture(tmp);
    }

    @AfterAll
    void stopDaemonAndRegistry() throws Exception {
        Resources.closeAll(daemon, images);
    }
}
