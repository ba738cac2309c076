package dev.kiln.cli;

import dev.kiln.api.DaemonEndpoint;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The daemon a client build starts on its state directory (a child process that outlives the build): the flags of a
 * build through it FROM a busybox build context, and its stop after the tests, so no daemon outlives the test JVM.
 */
final class StateDaemon {

    private StateDaemon() {}

    /**
     * The flags of a build of {@code context} on {@code state} with plain progress, whose {@code FROM busybox} is the
     * root filesystem {@code rootfs}; {@code flags} come before the context.
     */
    static List<String> busyboxBuild(Path state, Path rootfs, Path context, String... flags) {
        List<String> all = new ArrayList<>(
                List.of("--state", state.toString(), "--build-context", "busybox=" + rootfs, "--progress", "plain"));
        all.addAll(List.of(flags));
        all.add(context.toString());
        return all;
    }

    /** Stops the daemon running on {@code state}, if any (a null state has none), and waits until it has ended. */
    static void stop(Path state) throws Exception {
        Optional<DaemonEndpoint> daemon = state == null ? Optional.empty() : DaemonEndpoint.running(state);
        if (daemon.isPresent()) {
            ProcessHandle process = ProcessHandle.of(daemon.get().pid()).orElseThrow();
            process.destroy();
            process.onExit().get(30, TimeUnit.SECONDS);
        }
    }
}
