package dev.kiln.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.api.DaemonEndpoint;
import dev.kiln.api.control.InfoRequest;
import dev.kiln.api.control.ListWorkersRequest;
import dev.kiln.api.control.SolveRequest;
import dev.kiln.api.control.StatusRequest;
import dev.kiln.api.control.StatusResponse;
import dev.kiln.api.control.Vertex;
import dev.kiln.api.types.WorkerRecord;
import dev.kiln.llb.RunOption;
import dev.kiln.llb.State;
import dev.kiln.worker.HostProcesses;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Control service driven over its unix socket by a gRPC client on BuildKit's protos. */
class ControlServiceTest extends DaemonWithBusybox {

    @Test
    void describesItsWorkerAndVersionAndRecordsItselfInTheState() throws Exception {
        List<WorkerRecord> workers = daemon.control()
                .listWorkers(ListWorkersRequest.getDefaultInstance())
                .getRecordList();
        assertThat(workers).hasSize(1);
        assertThat(workers.getFirst().getLabelsMap()).containsEntry("org.mobyproject.buildkit.worker.executor", "oci");
        // the host's platform first, then each one an emulator registered with binfmt_misc runs
        assertThat(workers.getFirst().getPlatformsList())
                .extracting(p -> {
                    dev.kiln.llb.pb.Platform platform = dev.kiln.llb.pb.Platform.parseFrom(p);
                    return platform.getOS() + "/" + platform.getArchitecture()
                            + (platform.getVariant().isEmpty() ? "" : "/" + platform.getVariant());
                })
                .startsWith("linux/" + dev.kiln.engine.Engine.hostArchitecture())
                .containsExactlyElementsOf(dev.kiln.worker.runtime.Emulators.host().platforms().stream()
                        .map(dev.kiln.core.Platform::toString)
                        .toList());
        assertThat(daemon.control()
                        .info(InfoRequest.getDefaultInstance())
                        .getBuildkitVersion()
                        .getPackage())
                .isEqualTo(DaemonInfo.PACKAGE);

        assertThat(DaemonEndpoint.running(daemon.state)).get().satisfies(endpoint -> {
            assertThat(endpoint.pid()).isEqualTo(ProcessHandle.current().pid());
            assertThat(endpoint.address()).isEqualTo("unix://" + daemon.socket);
        });
        assertThat(Files.getPosixFilePermissions(daemon.socket)).hasSize(4);
    }

    @Test
    void solvesADefinitionAndStreamsItsProgressToAStatusCallMadeFirst() throws Exception {
        String ref = "test-" + System.nanoTime();
        CompletableFuture<List<StatusResponse>> status = CompletableFuture.supplyAsync(() -> {
            List<StatusResponse> all = new ArrayList<>();
            Iterator<StatusResponse> it = daemon.control()
                    .status(StatusRequest.newBuilder().setRef(ref).build());
            it.forEachRemaining(all::add);
            return all;
        });
        daemon.control().solve(busyboxStep(ref, "echo daemon > /greeting").build());

        Map<String, Vertex> last = new HashMap<>();
        for (StatusResponse response : status.get(60, TimeUnit.SECONDS)) {
            response.getVertexesList().forEach(v -> last.put(v.getDigest(), v));
        }
        assertThat(last.values()).anySatisfy(v -> {
            assertThat(v.getName()).contains("echo daemon");
            assertThat(v.hasStarted()).isTrue();
            assertThat(v.hasCompleted()).isTrue();
            assertThat(v.getError()).isEmpty();
        });
    }

    @Test
    void aStatusCallReplaysAFinishedBuildAndAnswersNotFoundForABuildThatNeverCame() {
        // buildctl debug logs REF: a finished build's progress is read again; an unknown ref ends, it does not hang
        String ref = "replay-" + System.nanoTime();
        daemon.control().solve(busyboxStep(ref, "echo replayed > /r").build());
        assertThat(lastVertices(ref).values())
                .anySatisfy(v -> assertThat(v.getName()).contains("echo replayed"));

        long started = System.nanoTime();
        assertThatThrownBy(() -> lastVertices("never-" + System.nanoTime()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.NOT_FOUND);
                    assertThat(e.getStatus().getDescription()).startsWith("no such job never-");
                });
        assertThat(Duration.ofNanos(System.nanoTime() - started))
                .isGreaterThanOrEqualTo(BuildJobs.AWAIT_SOLVE)
                .isLessThan(BuildJobs.AWAIT_SOLVE.multipliedBy(3));
    }

    @Test
    void aFailingStepFailsTheSolveWithItsMessage() {
        assertThatThrownBy(() -> daemon.control()
                        .solve(busyboxStep("fail-" + System.nanoTime(), "echo broken >&2; exit 3")
                                .build()))
                .isInstanceOf(StatusRuntimeException.class)
                .hasMessageContaining("did not complete successfully: exit code: 3");
    }

    @Test
    void concurrentBuildsAllSucceedAndRunTheirSharedStepOnce() throws Exception {
        String shared = "echo shared-" + System.nanoTime() + " > /shared";
        List<CompletableFuture<Map<String, Vertex>>> builds = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            State state = State.image(busybox.toString())
                    .run(RunOption.sh(shared))
                    .root()
                    .run(RunOption.sh("echo " + i + " > /mine"))
                    .root();
            String ref = "concurrent-" + i + "-" + System.nanoTime();
            builds.add(CompletableFuture.supplyAsync(() -> {
                CompletableFuture<Map<String, Vertex>> status = CompletableFuture.supplyAsync(() -> lastVertices(ref));
                daemon.control()
                        .solve(SolveRequest.newBuilder()
                                .setRef(ref)
                                .setDefinition(state.marshal().toByteString())
                                .build());
                return status.join();
            }));
        }
        int ran = 0;
        for (CompletableFuture<Map<String, Vertex>> build : builds) {
            for (Vertex vertex : build.get(120, TimeUnit.SECONDS).values()) {
                if (vertex.getName().contains("echo shared-") && !vertex.getCached()) {
                    ran++;
                }
            }
        }
        assertThat(ran).as("builds that ran the shared step themselves").isEqualTo(1);
    }

    @Test
    void aClientThatGoesAwayCancelsItsBuildAndItsContainer() throws Exception {
        String marker = "sleep " + (600 + (System.nanoTime() % 300));
        io.grpc.Context.CancellableContext call = io.grpc.Context.current().withCancellation();
        CompletableFuture<Void> solve = CompletableFuture.runAsync(() -> call.run(() -> daemon.control()
                .solve(busyboxStep("cancel-" + System.nanoTime(), marker).build())));
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!HostProcesses.anyRuns(marker)) {
                assertThat(System.nanoTime()).as("the step's container started").isLessThan(deadline);
                Thread.sleep(100);
            }
        } finally {
            call.cancel(null);
        }
        assertThatThrownBy(() -> solve.get(30, TimeUnit.SECONDS)).hasMessageContaining("CANCELLED");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (HostProcesses.anyRuns(marker)) {
            assertThat(System.nanoTime()).as("the step's process is gone").isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    /** A solve of one step that runs the shell command {@code command} on busybox. */
    private Map<String, Vertex> lastVertices(String ref) {
        Map<String, Vertex> last = new HashMap<>();
        daemon.control()
                .status(StatusRequest.newBuilder().setRef(ref).build())
                .forEachRemaining(response -> response.getVertexesList().forEach(v -> last.put(v.getDigest(), v)));
        return last;
    }

    @Test
    void aClientCannotGrantItselfAnEntitlementTheDaemonDoesNotAllow() {
        assertThatThrownBy(() -> daemon.control()
                        .solve(busyboxStep("entitled", "true")
                                .addEntitlements("security.insecure")
                                .build()))
                .isInstanceOf(StatusRuntimeException.class)
                .hasMessageContaining("PERMISSION_DENIED")
                .hasMessageContaining("entitlement security.insecure is not allowed by this daemon");
    }

    @Test
    void aSourcePolicyIsRefusedNotIgnored() {
        // BuildKit's sourcepolicy.Policy{version 1, rules [{action DENY, selector {identifier "docker-image://*",
        // match_type WILDCARD}}]}: run without it, the build would pull the busybox image the policy forbids
        com.google.protobuf.ByteString policy = com.google.protobuf.ByteString.copyFrom(java.util.HexFormat.of()
                .parseHex("0801" + "1218" + "0801" + "1214" + "0a10" + "646f636b65722d696d6167653a2f2f2a" + "1001"));
        assertThatThrownBy(() -> daemon.control()
                        .solve(busyboxStep("source-policy", "true")
                                .setSourcePolicy(policy)
                                .build()))
                .isInstanceOf(StatusRuntimeException.class)
                .hasMessageContaining("UNIMPLEMENTED")
                .hasMessageContaining("source policies (buildctl --source-policy-file) are not supported yet");
    }

    @Test
    void cacheExportItCannotDoIsRefusedNotIgnored() {
        assertThatThrownBy(() -> daemon.control()
                        .solve(busyboxStep("cache-export", "true")
                                .setCache(dev.kiln.api.control.CacheOptions.newBuilder()
                                        .addExports(dev.kiln.api.control.CacheOptionsEntry.newBuilder()
                                                .setType("gha")))
                                .build()))
                .isInstanceOf(StatusRuntimeException.class)
                .hasMessageContaining("UNIMPLEMENTED")
                .hasMessageContaining("cache export type \"gha\" is not supported");
    }

    @Test
    void aLocalCacheOfAClientWithoutDirectAccessIsNeverWrittenOnTheDaemonsHost(@TempDir Path dir) {
        Path cache = dir.resolve("cache");

        // Its blobs would go through the client's session content store; a client without a session serves none.
        assertThatThrownBy(() -> daemon.control()
                        .solve(busyboxStep("local-cache", "true")
                                .setCache(dev.kiln.api.control.CacheOptions.newBuilder()
                                        .addExports(dev.kiln.api.control.CacheOptionsEntry.newBuilder()
                                                .setType("local")
                                                .putAttrs("dest", cache.toString())))
                                .build()))
                .isInstanceOf(StatusRuntimeException.class)
                .hasMessageContaining("cache export failed: the client serves no content store \"local:" + cache);
        assertThat(cache).doesNotExist();
    }

    @Test
    void anExportsDestNamesTheClientsHostNeverTheDaemons(@TempDir Path dir) throws Exception {
        Path onDaemon = dir.resolve("daemon-side");
        Path onClient = dir.resolve("client-side");
        String sessionId = java.util.UUID.randomUUID().toString();
        dev.kiln.api.session.SessionTunnel session =
                daemon.exportSession(sessionId, Map.of(0, new dev.kiln.api.session.FileTarget.ToDirectory(onClient)));
        try {
            daemon.control()
                    .solve(busyboxStep("dest-" + System.nanoTime(), "echo exported > /out.txt")
                            .setSession(sessionId)
                            .addExporters(dev.kiln.api.control.Exporter.newBuilder()
                                    .setType("local")
                                    .putAttrs("dest", onDaemon.toString()))
                            .build());
        } finally {
            session.close();
        }
        assertThat(onClient.resolve("out.txt")).hasContent("exported");
        assertThat(onDaemon).doesNotExist();
    }

    @Test
    void aClientWithDirectAccessHasItsDestWrittenByTheDaemonWithoutASession(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out");
        String sessionId = "direct-" + System.nanoTime();
        new dev.kiln.api.DirectAccess(sessionId, Map.of(), Map.of(0, out))
                .offer(daemon.state)
                .orElseThrow();

        daemon.control()
                .solve(busyboxStep(sessionId, "echo direct > /out.txt")
                        .setSession(sessionId)
                        .addExporters(dev.kiln.api.control.Exporter.newBuilder()
                                .setType("local")
                                .putAttrs("dest", out.toString()))
                        .build());

        assertThat(out.resolve("out.txt")).hasContent("direct");
        assertThat(dev.kiln.api.DirectAccess.directory(daemon.state).resolve(sessionId))
                .doesNotExist();
    }

    @Test
    void aGrantNamingAnotherDirectoryThanItsClientSawIsRefusedSoTheClientUsesASession(@TempDir Path dir)
            throws Exception {
        Path context = Files.createDirectories(dir.resolve("context"));
        String sessionId = "refused-" + System.nanoTime();
        new dev.kiln.api.DirectAccess(sessionId, Map.of("context", context), Map.of())
                .offer(daemon.state)
                .orElseThrow();
        Path other = Files.createDirectories(dir.resolve("other"));
        Files.delete(context);
        Files.move(other, context);

        assertThatThrownBy(() -> daemon.control()
                        .solve(busyboxStep(sessionId, "true")
                                .setSession(sessionId)
                                .build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.FAILED_PRECONDITION);
                    assertThat(e.getStatus().getDescription())
                            .startsWith(dev.kiln.api.DirectAccess.REFUSED)
                            .contains(context.toString());
                });
    }

    @Test
    void aSessionThatNeverConnectsFailsTheSolveClearly() {
        assertThatThrownBy(() -> daemon.control()
                        .withDeadlineAfter(30, TimeUnit.SECONDS)
                        .solve(busyboxStep("nosession", "true")
                                .setSession("no-such-session")
                                .build()))
                .isInstanceOf(StatusRuntimeException.class)
                .hasMessageContaining("no active session for no-such-session");
    }
}
