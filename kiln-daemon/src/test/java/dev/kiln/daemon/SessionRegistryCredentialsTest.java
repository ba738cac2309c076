package dev.kiln.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.api.DirectAccess;
import dev.kiln.api.auth.AuthGrpc;
import dev.kiln.api.auth.CredentialsRequest;
import dev.kiln.api.auth.CredentialsResponse;
import dev.kiln.api.control.Exporter;
import dev.kiln.api.control.SolveRequest;
import dev.kiln.api.control.SolveResponse;
import dev.kiln.api.session.SessionTunnel;
import dev.kiln.core.ImageReference;
import dev.kiln.llb.State;
import dev.kiln.oci.registry.Credentials;
import dev.kiln.oci.registry.RegistryClient;
import dev.kiln.oci.testing.LocalRegistry;
import dev.kiln.oci.testing.Resources;
import dev.kiln.worker.PrivateBusyboxRegistry;
import io.grpc.BindableService;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A shared daemon pulls and pushes with each build's own registry credentials, asked of the client's session (its
 * Auth service, as BuildKit does), against a registry on 127.0.0.1 that wants HTTP Basic auth. The daemon's own
 * docker config ($DOCKER_CONFIG, pointed into target/ by this module's surefire configuration) holds credentials
 * for that registry too: a client that gives none must still be refused, so that a daemon's credentials, and one
 * client's credentials and tokens, never serve another client. Only a direct-access client, the daemon's own user on
 * its host, uses the daemon's docker config.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SessionRegistryCredentialsTest {

    Path tmp;
    PrivateBusyboxRegistry images;
    LocalRegistry registry;
    ImageReference base;
    DaemonFixture daemon;

    @BeforeAll
    void start() throws Exception {
        tmp = Files.createTempDirectory("kiln-session-credentials-");
        images = PrivateBusyboxRegistry.start(tmp);
        registry = images.registry();
        base = images.busybox();
        // the daemon's engine reads its docker config when it opens
        daemon = new DaemonFixture(tmp);
    }

    @AfterAll
    void stop() throws Exception {
        Resources.closeAll(daemon, images, () -> dev.kiln.core.Trees.deleteRecursively(tmp));
    }

    @Test
    void aSessionWhoseClientServesCredentialsPullsAndPushesWithThem() throws Exception {
        ClientAuth auth = new ClientAuth(Map.of(registry.host(), Credentials.of("kiln", "hunter2")));
        ImageReference out = registry.reference("private/with-session:1");

        SolveResponse answer = solveInSession(List.of(auth), push(out));

        try (RegistryClient owner = images.owner()) {
            assertThat(answer.getExporterResponseMap())
                    .containsEntry(
                            "containerimage.digest", owner.resolve(out).digest().toString());
        }
        assertThat(auth.asked).containsOnly(registry.host());
    }

    @Test
    void aSessionWithoutCredentialsRightAfterOneWithThemIsRefused() throws Exception {
        solveInSession(
                List.of(new ClientAuth(Map.of(registry.host(), Credentials.of("kiln", "hunter2")))),
                push(registry.reference("private/first:1")));

        ClientAuth none = new ClientAuth(Map.of());
        assertThatThrownBy(() -> solveInSession(List.of(none), push(registry.reference("private/second:1"))))
                .isInstanceOfSatisfying(
                        StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getDescription())
                                .contains("registry " + registry.host() + ", repository private/busybox")
                                .contains("HTTP 401: authentication required (basic auth) and no credentials for "
                                        + registry.host() + " were found in the client's session"));
        assertThat(none.asked).containsOnly(registry.host());

        // a client that serves no Auth at all (nothing but the session's health check)
        assertThatThrownBy(() -> solveInSession(List.of(), push(registry.reference("private/third:1"))))
                .isInstanceOfSatisfying(
                        StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getDescription())
                                .contains("registry " + registry.host())
                                .contains("which serves no registry credentials"));
    }

    @Test
    void aSolveWithoutASessionIsAnonymousToRegistries() {
        assertThatThrownBy(() -> daemon.control()
                        .solve(SolveRequest.newBuilder()
                                .setRef("nosession-" + UUID.randomUUID())
                                .setDefinition(
                                        State.image(base.toString()).marshal().toByteString())
                                .build()))
                .isInstanceOfSatisfying(
                        StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getDescription())
                                .contains("registry " + registry.host())
                                .contains("HTTP 401")
                                .contains("a build without a session"));
    }

    @Test
    void aDirectAccessClientUsesTheDaemonsDockerConfigWhichIsItsOwn() throws Exception {
        String sessionId = "direct-" + UUID.randomUUID();
        new DirectAccess(sessionId, Map.of(), Map.of()).offer(daemon.state).orElseThrow();
        ImageReference out = registry.reference("private/direct:1");

        SolveResponse answer = daemon.control()
                .solve(SolveRequest.newBuilder()
                        .setRef(sessionId)
                        .setSession(sessionId)
                        .setDefinition(State.image(base.toString()).marshal().toByteString())
                        .addExporters(push(out))
                        .build());

        try (RegistryClient owner = images.owner()) {
            assertThat(answer.getExporterResponseMap())
                    .containsEntry(
                            "containerimage.digest", owner.resolve(out).digest().toString());
        }
    }

    private SolveResponse solveInSession(List<BindableService> services, Exporter export) {
        String sessionId = UUID.randomUUID().toString();
        SessionTunnel session = SessionTunnel.open(daemon.controlAsync(), sessionId, "test", "", services);
        try {
            return daemon.control()
                    .solve(SolveRequest.newBuilder()
                            .setRef("credentials-" + sessionId)
                            .setSession(sessionId)
                            .setDefinition(
                                    State.image(base.toString()).marshal().toByteString())
                            .addExporters(export)
                            .build());
        } finally {
            session.close();
        }
    }

    private static Exporter push(ImageReference name) {
        return Exporter.newBuilder()
                .setType("image")
                .putAttrs("name", name.toString())
                .putAttrs("push", "true")
                .build();
    }

    /** A client's Auth service, as buildctl's and kiln's serve it: credentials by host, empty for any other. */
    private static final class ClientAuth extends AuthGrpc.AuthImplBase {
        final Map<String, Credentials> known;
        final List<String> asked = new CopyOnWriteArrayList<>();

        ClientAuth(Map<String, Credentials> known) {
            this.known = known;
        }

        @Override
        public void credentials(CredentialsRequest request, StreamObserver<CredentialsResponse> response) {
            asked.add(request.getHost());
            CredentialsResponse.Builder answer = CredentialsResponse.newBuilder();
            Optional.ofNullable(known.get(request.getHost()))
                    .ifPresent(c -> answer.setUsername(c.username()).setSecret(c.password()));
            response.onNext(answer.build());
            response.onCompleted();
        }
    }
}
