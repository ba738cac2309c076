package dev.kiln.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.core.ImageReference;
import dev.kiln.engine.export.ExportTarget;
import dev.kiln.engine.export.Exporters;
import dev.kiln.engine.export.ImageOptions;
import dev.kiln.gateway.ResolveImageConfigOpt;
import dev.kiln.gateway.Result;
import dev.kiln.llb.FileAction;
import dev.kiln.llb.State;
import dev.kiln.oci.registry.CredentialSource;
import dev.kiln.oci.registry.RegistryClient;
import dev.kiln.oci.testing.LocalRegistry;
import dev.kiln.oci.testing.Resources;
import dev.kiln.worker.BuildSession;
import dev.kiln.worker.PrivateBusyboxRegistry;
import dev.kiln.worker.SessionClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Which registry credentials a build uses, against a registry on 127.0.0.1 that wants HTTP Basic auth: an embedded
 * build uses the process's docker config ($DOCKER_CONFIG, which the module's surefire configuration points into
 * target/), and a build whose session client names a credential source of its own uses only that source, for pulls,
 * the gateway's image config lookups and pushes alike.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RegistryCredentialsTest {

    PrivateBusyboxRegistry images;
    LocalRegistry registry;
    ImageReference base;
    EngineFixture kiln;

    @BeforeAll
    void start() throws Exception {
        Path dir = Files.createTempDirectory("kiln-credentials-test-");
        images = PrivateBusyboxRegistry.start(dir);
        registry = images.registry();
        base = images.busybox();
        // the engine reads the process's docker config when it opens
        kiln = new EngineFixture(dir);
    }

    @AfterAll
    void stop() throws Exception {
        Resources.closeAll(kiln, () -> dev.kiln.core.Trees.deleteRecursively(kiln.dir), images);
    }

    @Test
    void anEmbeddedBuildPullsAndPushesWithTheProcesssDockerConfig() throws Exception {
        ImageReference out = registry.reference("private/embedded:1");
        BuildOutcome outcome = kiln.build(
                State.image(base.toString()),
                new ExportTarget.Image(List.of(out.toString()), true, ImageOptions.defaults()));

        try (RegistryClient owner = images.owner()) {
            assertThat(owner.resolve(out).digest().toString())
                    .isEqualTo(new String(
                            outcome.result().metadata(Exporters.IMAGE_DIGEST).orElseThrow(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void aClientWithCredentialsOfItsOwnNeverGetsTheProcesss() {
        ImageReference out = registry.reference("private/stranger:1");
        State pushed = State.scratch().file(FileAction.mkfile("/f", 0644, "x\n".getBytes(StandardCharsets.UTF_8)));

        assertThatThrownBy(() -> buildAsStranger(
                        new FrontendSpec.Llb(State.image(base.toString()).marshal()), List.of()))
                .isInstanceOf(BuildException.class)
                .hasMessageContaining("registry " + registry.host() + ", repository private/busybox")
                .hasMessageContaining("HTTP 401")
                .hasMessageContaining("no credentials for " + registry.host() + " were found in the stranger's");
        assertThatThrownBy(() -> buildAsStranger(
                        new FrontendSpec.Function("probe", client -> {
                            client.resolveImageConfig(base.toString(), ResolveImageConfigOpt.defaults());
                            return Result.empty();
                        }),
                        List.of()))
                .hasMessageContaining("resolve image config for " + base)
                .hasMessageContaining("HTTP 401");
        assertThatThrownBy(() -> buildAsStranger(
                        new FrontendSpec.Llb(pushed.marshal()),
                        List.of(new ExportTarget.Image(List.of(out.toString()), true, ImageOptions.defaults()))))
                .hasMessageContaining("registry " + registry.host() + ", repository private/stranger")
                .hasMessageContaining("HTTP 401");
    }

    private BuildOutcome buildAsStranger(FrontendSpec frontend, List<ExportTarget> exports) throws Exception {
        CredentialSource stranger = CredentialSource.none("the stranger's session");
        BuildSession session = new BuildSession(
                UUID.randomUUID().toString(), SessionClient.local(kiln.locals, Map.of(), Map.of(), stranger));
        return kiln.engine.build(new BuildRequest(frontend, Map.of(), kiln.locals, exports), session, event -> {});
    }
}
