package dev.kiln.oci.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.core.ImageReference;
import dev.kiln.core.Platform;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.content.ContentStore;
import dev.kiln.oci.testing.LocalRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class BasicAuthRegistryTest {
    private static final Platform AMD64 = Platform.parse("linux/amd64");

    @RegisterExtension
    static final LocalRegistry registry = LocalRegistry.withBasicAuth("kiln", "hunter2");

    @TempDir
    Path dir;

    @Test
    void pullWithoutCredentialsSaysWhatIsMissing() throws IOException {
        Path config = dockerConfig("{}");
        try (RegistryClient client = RegistryClient.builder()
                .credentials(DockerConfig.load(config, List.of()))
                .build()) {
            assertThatThrownBy(() -> client.resolve(registry.reference("private/app:1")))
                    .isInstanceOfSatisfying(
                            RegistryException.class, e -> assertThat(e.status()).isEqualTo(401))
                    .hasMessage("resolving " + registry.host() + "/private/app:1: registry " + registry.host()
                            + ", repository private/app, reference 1: HTTP 401: authentication required (basic auth) and no "
                            + "credentials for " + registry.host() + " were found in " + config);
        }
    }

    @Test
    void wrongPasswordIsReportedAsRefused() throws IOException {
        Path config = dockerConfig(auths(base64("kiln:wrong")));
        try (RegistryClient client = RegistryClient.builder()
                .credentials(DockerConfig.load(config, List.of()))
                .build()) {
            assertThatThrownBy(() -> client.blobExists(
                            registry.reference("private/app"), dev.kiln.core.Digest.sha256(new byte[0])))
                    .hasMessageEndingWith("HTTP 401: the registry refused the credentials of user 'kiln' from " + config
                            + " (basic auth)");
            assertThatThrownBy(() -> client.fetchManifest(registry.reference("private/app:1")))
                    .hasMessageEndingWith("HTTP 401: the registry refused the credentials of user 'kiln' from " + config
                            + " (basic auth): UNAUTHORIZED: authentication required ([{\"Type\":\"repository\",\"Class\":\"\","
                            + "\"Name\":\"private/app\",\"Action\":\"pull\"}])");
        }
    }

    @Test
    void credentialsFromDockerConfigPushAndPull() throws IOException {
        Path config = dockerConfig(auths(base64("kiln:hunter2")));
        ContentStore local = ContentStore.open(dir.resolve("local"));
        TestImage image = TestImage.make(local, AMD64, 21, 4096);
        ImageReference reference = registry.reference("private/app:1");

        try (RegistryClient client = RegistryClient.builder()
                .credentials(DockerConfig.load(config, List.of()))
                .build()) {
            Descriptor pushed = image.push(client, reference, local);
            ResolvedImage pulled = client.pull(reference, AMD64, ContentStore.open(dir.resolve("pulled")));

            assertThat(pulled.root().descriptor()).isEqualTo(pushed);
            assertThat(pulled.config()).isEqualTo(image.config());
        }
    }

    @Test
    void credentialsAViewFoundAreNeverSentForAnotherView() throws IOException {
        ContentStore local = ContentStore.open(dir.resolve("local"));
        TestImage image = TestImage.make(local, AMD64, 22, 64);
        ImageReference reference = registry.reference("views/app:1");
        CredentialSource owner =
                host -> java.util.Optional.of(new Credentials("kiln", "hunter2", "the owner's session"));
        CredentialSource stranger = CredentialSource.none("the stranger's session");

        try (RegistryClient shared = RegistryClient.builder().build()) {
            Descriptor pushed = image.push(shared.withCredentials(owner), reference, local);
            assertThat(shared.withCredentials(owner).resolve(reference)).isEqualTo(pushed);

            assertThatThrownBy(() -> shared.withCredentials(stranger).resolve(reference))
                    .isInstanceOfSatisfying(
                            RegistryException.class, e -> assertThat(e.status()).isEqualTo(401))
                    .hasMessageEndingWith(
                            "registry " + registry.host() + ", repository views/app, reference 1: HTTP 401: "
                                    + "authentication required (basic auth) and no credentials for " + registry.host()
                                    + " were found in the stranger's session");
        }
    }

    @Test
    void credentialHelperNamedInDockerConfigIsAsked() throws IOException {
        Path helpers = Files.createDirectories(dir.resolve("bin"));
        Path helper = helpers.resolve("docker-credential-kilntest");
        Path asked = dir.resolve("asked");
        Files.writeString(
                helper,
                "#!/bin/sh\nread -r server\necho \"$1 $server\" > " + asked + "\n"
                        + "echo '{\"Username\":\"kiln\",\"Secret\":\"hunter2\"}'\n");
        Files.setPosixFilePermissions(helper, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path config = dockerConfig("{\"credHelpers\":{\"" + registry.host() + "\":\"kilntest\"}}");
        ContentStore local = ContentStore.open(dir.resolve("local"));
        TestImage image = TestImage.make(local, AMD64, 22, 10);

        try (RegistryClient client = RegistryClient.builder()
                .credentials(DockerConfig.load(config, List.of(helpers)))
                .build()) {
            Descriptor pushed = image.push(client, registry.reference("helped/app:1"), local);
            assertThat(client.resolve(registry.reference("helped/app:1"))).isEqualTo(pushed);
        }
        assertThat(Files.readString(asked).strip()).isEqualTo("get " + registry.host());
    }

    private Path dockerConfig(String json) throws IOException {
        Path config = dir.resolve("docker/config.json");
        Files.createDirectories(config.getParent());
        Files.writeString(config, json);
        return config;
    }

    private static String auths(String auth) {
        return "{\"auths\":{\"" + registry.host() + "\":{\"auth\":\"" + auth + "\"}}}";
    }

    private static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }
}
