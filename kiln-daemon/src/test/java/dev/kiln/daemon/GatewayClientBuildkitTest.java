package dev.kiln.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.api.control.ControlGrpc;
import dev.kiln.api.control.StatusRequest;
import dev.kiln.api.control.StatusResponse;
import dev.kiln.api.control.VertexWarning;
import dev.kiln.api.http2.Http2Channel;
import dev.kiln.core.ImageReference;
import dev.kiln.gateway.grpc.ForwardedFrontend;
import dev.kiln.oci.testing.BuildkitDaemon;
import dev.kiln.oci.testing.Resources;
import dev.kiln.worker.BusyboxRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same Java frontend as {@link GatewayClientTest}, forwarded to BuildKit's own buildkitd (v0.24.0 here): the
 * gRPC client must speak LLBBridge as BuildKit serves it, containers and processes included, which Kiln's daemon
 * does not run yet. Needs {@code buildkitd} and {@code buildctl} on PATH and root (buildkitd runs runc); skipped
 * otherwise. buildkitd gets a state directory of its own and a socket in a fresh directory, and is stopped after.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GatewayClientBuildkitTest implements ProbeFailures {

    Path tmp;
    BusyboxRegistry images;
    ImageReference busybox;
    BuildkitDaemon buildkitd;
    String address;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        BuildkitDaemon.assumeInstalled();
        tmp = dir;
        images = BusyboxRegistry.start(tmp);
        busybox = images.busybox();
        buildkitd = BuildkitDaemon.start(tmp, images.registry().host());
        address = buildkitd.address();
    }

    @AfterAll
    void stop() throws Exception {
        Resources.closeAll(buildkitd, images);
    }

    /** The warnings buildkitd reports for build {@code ref} on Control.Status, collected until the build ends. */
    private List<String> warnings(String ref, Thread[] collector) {
        List<String> warnings = Collections.synchronizedList(new ArrayList<>());
        collector[0] = Thread.ofVirtual().start(() -> {
            Http2Channel channel = Http2Channel.unix(Path.of(address.substring("unix://".length())), 64 << 20);
            try {
                var statuses = ControlGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(300, TimeUnit.SECONDS)
                        .status(StatusRequest.newBuilder().setRef(ref).build());
                while (statuses.hasNext()) {
                    StatusResponse status = statuses.next();
                    for (VertexWarning warning : status.getWarningsList()) {
                        warnings.add(warning.getShort().toString(StandardCharsets.UTF_8));
                    }
                }
            } catch (RuntimeException e) {
                // the stream ends with the build
            } finally {
                channel.shutdownNow();
            }
        });
        return warnings;
    }

    @Test
    void aJavaFrontendRunsUnderBuildkitWithContainersADockerfileAndWarnings() throws Exception {
        Path out = tmp.resolve("bk-out");
        Path context = GatewayClientTest.dockerContext(tmp.resolve("bk-context"));
        String ref = "javafrontend" + System.nanoTime();
        Thread[] collector = new Thread[1];
        List<String> warnings = warnings(ref, collector);

        ForwardedFrontend.run(
                address,
                new ProbeFrontend(),
                GatewayClientTest.exportTo(
                        out,
                        ForwardedFrontend.Options.defaults()
                                .withRef(ref)
                                .withFrontendAttrs(Map.of(
                                        "base",
                                        busybox.toString(),
                                        "greeting",
                                        "hello",
                                        "dockerfile",
                                        "1",
                                        "container",
                                        "1"))
                                .withFrontendInputs(Map.of(
                                        "tools",
                                        dev.kiln.llb.State.image(busybox.toString())
                                                .marshal()))
                                .withLocals(Map.of("context", context, "dockerfile", context))));

        assertThat(GatewayClientTest.report(out))
                .containsEntry("opts.greeting", "hello")
                .containsEntry("inputs", "tools")
                .containsEntry("inputs.tools.sh", "true")
                .containsAllEntriesOf(ProbeFrontend.SOLVED_AND_READ)
                .containsEntry("exec.exit", "3")
                .containsEntry("exec.stdout", "built-by-probe|got:hello")
                .containsEntry("exec.stderr", "oops")
                .containsEntry("tty.size", "33 77")
                .containsEntry("signal.exit", "0")
                .containsEntry("signal.stdout", "ready|trapped");
        collector[0].join(TimeUnit.SECONDS.toMillis(30));
        assertThat(warnings).contains("the probe was here");
    }

    @Override
    public Engine probeEngine() {
        return new Engine(address, busybox, "exit code: 5");
    }
}
