package dev.kiln.daemon;

import dev.kiln.api.control.SolveRequest;
import dev.kiln.llb.RunOption;
import dev.kiln.llb.State;
import dev.kiln.oci.testing.Resources;
import dev.kiln.worker.WithBusyboxRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The base of the daemon test classes whose tests share one daemon and whose builds start FROM busybox: before the
 * class's tests it starts a registry holding busybox ({@link #busybox}) and a daemon ({@link #daemon}) on a
 * temporary directory ({@link #tmp}), and stops both after them. A subclass's own {@code @BeforeAll} methods run after
 * this one's, so they may use the daemon.
 */
abstract class DaemonWithBusybox extends WithBusyboxRegistry {

    DaemonFixture daemon;

    @BeforeAll
    void startDaemon() throws Exception {
        daemon = new DaemonFixture(tmp);
    }

    @AfterAll
    void stopDaemon() throws Exception {
        Resources.closeAll(daemon);
    }

    /** A Solve of one shell {@code command} run on busybox, as the build {@code ref}. */
    SolveRequest.Builder busyboxStep(String ref, String command) {
        return SolveRequest.newBuilder()
                .setRef(ref)
                .setDefinition(State.image(busybox.toString())
                        .run(RunOption.sh(command))
                        .root()
                        .marshal()
                        .toByteString());
    }
}
