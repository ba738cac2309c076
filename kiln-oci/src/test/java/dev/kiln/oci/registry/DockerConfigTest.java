package dev.kiln.oci.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DockerConfigTest {
    @TempDir
    Path dir;

    @Test
    void authsEntryWithBase64UserAndPassword() throws IOException {
        Path config = write("{\"auths\":{\"127.0.0.1:5000\":{\"auth\":\"" + base64("kiln:pa:ss") + "\"}}}");

        assertThat(DockerConfig.load(config, List.of()).find("127.0.0.1:5000"))
                .contains(new Credentials("kiln", "pa:ss", config.toString()));
        assertThat(DockerConfig.load(config, List.of()).find("127.0.0.1:5001")).isEmpty();
    }

    @Test
    void authsEntryWithUsernameAndPasswordFieldsAndSchemeInTheKey() throws IOException {
        Path config = write("{\"auths\":{\"https://registry.example/v2/\":{\"username\":\"u\",\"password\":\"p\"}}}");

        assertThat(DockerConfig.load(config, List.of()).find("registry.example"))
                .contains(new Credentials("u", "p", config.toString()));
    }

    @Test
    void dockerHubCredentialsUnderTheIndexServerKey() throws IOException {
        Path config = write("{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"" + base64("hub:pw") + "\"}}}");

        assertThat(DockerConfig.load(config, List.of()).find("docker.io"))
                .map(Credentials::username)
                .contains("hub");
    }

    @Test
    void credentialHelperForTheRegistryWinsOverAuths() throws IOException {
        helper("kilntest", "{\"ServerURL\":\"$server\",\"Username\":\"helped\",\"Secret\":\"from-$server\"}");
        Path config = write("{\"auths\":{\"127.0.0.1:5000\":{\"auth\":\"" + base64("plain:pw") + "\"}},"
                + "\"credHelpers\":{\"127.0.0.1:5000\":\"kilntest\"}}");

        assertThat(DockerConfig.load(config, List.of(dir)).find("127.0.0.1:5000"))
                .contains(new Credentials("helped", "from-127.0.0.1:5000", "docker-credential-kilntest"));
    }

    @Test
    void credsStoreServesRegistriesWithoutAnEntryAndMayKnowNothing() throws IOException {
        helper("store", "{\"Username\":\"stored\",\"Secret\":\"s\"}");
        helper("empty", null);

        assertThat(DockerConfig.load(write("{\"credsStore\":\"store\"}"), List.of(dir))
                        .find("docker.io"))
                .map(Credentials::username)
                .contains("stored");
        assertThat(DockerConfig.load(write("{\"credsStore\":\"empty\"}"), List.of(dir))
                        .find("docker.io"))
                .isEmpty();
    }

    @Test
    void helperThatExitsWithoutReadingTheServerMeansNoCredentials() throws IOException {
        script("quick", "echo 'credentials not found in native keychain'; exit 1");
        DockerConfig config = DockerConfig.load(write("{\"credsStore\":\"quick\"}"), List.of(dir));

        // More than a pipe can hold (at most 1 MiB on Linux): writing it cannot finish before the helper has exited
        // without reading, so the write always meets a closed pipe, as a short one does only when the helper wins.
        assertThat(config.find(longRegistryName())).isEmpty();
    }

    @Test
    void helperThatFailsWithoutReadingTheServerIsNamedWithItsOwnMessage() throws IOException {
        script("broken", "echo 'cannot reach the keychain daemon' >&2; exit 3");
        DockerConfig config = DockerConfig.load(write("{\"credsStore\":\"broken\"}"), List.of(dir));

        assertThatThrownBy(() -> config.find(longRegistryName()))
                .hasMessageStartingWith("docker-credential-broken get ")
                .hasMessageContaining("failed with exit code 3: cannot reach the keychain daemon");
    }

    @Test
    void missingHelperAndBrokenConfigAreNamed() throws IOException {
        Path config = write("{\"credHelpers\":{\"r.example\":\"absent\"}}");
        assertThatThrownBy(() -> DockerConfig.load(config, List.of(dir)).find("r.example"))
                .hasMessageContaining(
                        "credential helper docker-credential-absent named in " + config + " is not installed");

        Path badAuth = write("{\"auths\":{\"r.example\":{\"auth\":\"" + base64("no-colon") + "\"}}}");
        assertThatThrownBy(() -> DockerConfig.load(badAuth, List.of()).find("r.example"))
                .hasMessage("docker config " + badAuth
                        + ": field auths.r.example.auth: expected base64 of \"user:password\"," + " found no ':'");

        Path notJson = write("{\"auths\":");
        assertThatThrownBy(() -> DockerConfig.load(notJson, List.of()))
                .hasMessageStartingWith("docker config " + notJson + " is not valid JSON");
    }

    @Test
    void missingFileMeansNoCredentials() throws IOException {
        assertThat(DockerConfig.load(dir.resolve("absent.json"), List.of()).find("docker.io"))
                .isEmpty();
    }

    @Test
    void dockerConfigVariableNamesTheDirectory() throws IOException {
        Path custom = Files.createDirectories(dir.resolve("custom"));
        Files.writeString(
                custom.resolve("config.json"), "{\"auths\":{\"r.example\":{\"auth\":\"" + base64("env:pw") + "\"}}}");

        DockerConfig config = DockerConfig.fromEnvironment(Map.of("DOCKER_CONFIG", custom.toString(), "HOME", "/none"));

        assertThat(config.file()).isEqualTo(custom.resolve("config.json"));
        assertThat(config.find("r.example")).map(Credentials::username).contains("env");
        assertThat(DockerConfig.fromEnvironment(Map.of("HOME", dir.toString())).file())
                .isEqualTo(dir.resolve(".docker/config.json"));
    }

    @Test
    void credentialsDoNotShowTheirPassword() {
        assertThat(new Credentials("kiln", "secret", "x").toString()).doesNotContain("secret");
    }

    private Path write(String json) throws IOException {
        Path file = Files.createTempFile(dir, "config", ".json");
        Files.writeString(file, json);
        return file;
    }

    /** A docker-credential-NAME script that prints {@code answer} ($server is what it read), or fails as unknown. */
    private void helper(String name, String answer) throws IOException {
        script(
                name,
                answer == null
                        ? "echo 'credentials not found in native keychain'; exit 1"
                        : "[ \"$1\" = get ] || exit 2\nread -r server\ncat <<EOF\n" + answer + "\nEOF");
    }

    private void script(String name, String body) throws IOException {
        Path script = dir.resolve("docker-credential-" + name);
        Files.writeString(script, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private static String longRegistryName() {
        return "r" + "e".repeat(2 << 20) + ".example";
    }

    private static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }
}
