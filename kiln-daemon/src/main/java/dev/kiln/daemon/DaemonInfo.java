package dev.kiln.daemon;

import dev.kiln.api.types.BuildkitVersion;
import dev.kiln.api.types.WorkerRecord;
import dev.kiln.core.KilnVersion;
import dev.kiln.llb.pb.Platform;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What the daemon says of itself to clients: its version (Control.Info) and its one worker (Control.ListWorkers),
 * with BuildKit's label names, so buildctl's {@code debug workers} and buildx's builder listing read it.
 *
 * @param workerId unique per state directory and host, as BuildKit's worker ids are
 */
record DaemonInfo(
        Path stateDir,
        String version,
        String revision,
        String workerId,
        Map<String, String> workerLabels,
        List<Platform> platforms) {

    /** The package name a client sees in place of BuildKit's {@code github.com/moby/buildkit}. */
    static final String PACKAGE = "dev.kiln/kiln";

    DaemonInfo {
        workerLabels = Map.copyOf(workerLabels);
        platforms = List.copyOf(platforms);
    }

    /** @param platforms the platforms the engine's worker runs, its own first */
    static DaemonInfo of(Path stateDir, String runtime, List<Platform> platforms) {
        String host = hostname();
        String id = dev.kiln.core.Digest.sha256(
                        (host + "\n" + stateDir.toAbsolutePath()).getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .hex()
                .substring(0, 25);
        return new DaemonInfo(
                stateDir,
                "v" + kilnVersion(),
                "",
                id,
                Map.of(
                        "org.mobyproject.buildkit.worker.executor", "oci",
                        "org.mobyproject.buildkit.worker.hostname", host,
                        "org.mobyproject.buildkit.worker.network", "host",
                        "org.mobyproject.buildkit.worker.oci.process-mode", "sandbox",
                        "org.mobyproject.buildkit.worker.selinux.enabled", "false",
                        "org.mobyproject.buildkit.worker.snapshotter", "overlayfs",
                        "org.mobyproject.buildkit.worker.kiln.runtime", runtime),
                platforms);
    }

    /** The engine's worker as a frontend container's gateway describes it in its Pong. */
    static DaemonInfo of(dev.kiln.gateway.WorkerInfo worker) {
        return new DaemonInfo(null, "v" + kilnVersion(), "", worker.id(), worker.labels(), worker.platforms());
    }

    /** The worker as ListWorkers and the gateway's Ping describe it. */
    WorkerRecord workerRecord() {
        return WorkerRecord.newBuilder()
                .setID(workerId)
                .putAllLabels(workerLabels)
                .addAllPlatforms(platforms.stream()
                        .map(com.google.protobuf.MessageLite::toByteString)
                        .toList())
                .setBuildkitVersion(buildkitVersion())
                .build();
    }

    BuildkitVersion buildkitVersion() {
        return BuildkitVersion.newBuilder()
                .setPackage(PACKAGE)
                .setVersion(version)
                .setRevision(revision)
                .build();
    }

    private static String kilnVersion() {
        return KilnVersion.of(DaemonInfo.class);
    }

    private static String hostname() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }
}
