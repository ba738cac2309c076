package dev.kiln.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.core.Digest;
import dev.kiln.core.Platform;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ImageConfigTest {
    private static final String DIFF_ID = "sha256:" + "a".repeat(64);

    /** A config as Docker writes it: fields Kiln does not model at every level. */
    private static final String DOCKER_MADE = """
      {
        "architecture": "amd64",
        "os": "linux",
        "created": "2024-03-01T12:30:45.123456789+01:00",
        "docker_version": "24.0.7",
        "container_config": {"Hostname": "abc", "Cmd": ["/bin/sh"]},
        "config": {
          "Hostname": "",
          "Domainname": "",
          "AttachStdin": false,
          "User": "1000:1000",
          "ExposedPorts": {"8080/tcp": {}, "53/udp": {}},
          "Env": ["PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8"],
          "Entrypoint": ["/entry.sh"],
          "Cmd": ["serve", "--port", "8080"],
          "Volumes": {"/data": {}},
          "WorkingDir": "/srv",
          "Labels": {"z.last": "1", "a.first": "<b>&</b>"},
          "StopSignal": "SIGTERM",
          "Healthcheck": {"Test": ["CMD-SHELL", "true"], "Interval": 30000000000, "Retries": 3, "Extra": 1.50},
          "OnBuild": ["RUN make"],
          "Shell": ["/bin/bash", "-c"]
        },
        "rootfs": {"type": "layers", "diff_ids": ["%s"]},
        "history": [
          {"created": "2024-03-01T11:00:00Z", "created_by": "ADD rootfs.tar /", "comment": "base"},
          {"created": "2024-03-01T11:00:01Z", "created_by": "ENV LANG=C.UTF-8", "empty_layer": true,
           "future_field": {"nested": [1, 2]}}
        ]
      }
      """.formatted(DIFF_ID);

    @Test
    void dockerMadeConfigReadsEveryModelledField() {
        ImageConfig config = ImageConfig.parse(DOCKER_MADE.getBytes(StandardCharsets.UTF_8));

        assertThat(config.platform()).isEqualTo(Platform.of("linux", "amd64"));
        assertThat(config.created()).isEqualTo(Instant.parse("2024-03-01T11:30:45.123456789Z"));
        ContainerConfig run = config.config();
        assertThat(run.user()).isEqualTo("1000:1000");
        assertThat(run.exposedPorts()).containsExactly("53/udp", "8080/tcp");
        assertThat(run.env()).containsExactly("PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8");
        assertThat(run.entrypoint()).containsExactly("/entry.sh");
        assertThat(run.cmd()).containsExactly("serve", "--port", "8080");
        assertThat(run.volumes()).containsExactly("/data");
        assertThat(run.workingDir()).isEqualTo("/srv");
        assertThat(run.labels()).containsExactly(Map.entry("a.first", "<b>&</b>"), Map.entry("z.last", "1"));
        assertThat(run.stopSignal()).isEqualTo("SIGTERM");
        assertThat(run.healthcheck().test()).containsExactly("CMD-SHELL", "true");
        assertThat(run.healthcheck().interval()).isEqualTo(Duration.ofSeconds(30));
        assertThat(run.healthcheck().retries()).isEqualTo(3);
        assertThat(run.onBuild()).containsExactly("RUN make");
        assertThat(run.shell()).containsExactly("/bin/bash", "-c");
        assertThat(config.rootfs().diffIds()).containsExactly(Digest.parse(DIFF_ID));
        assertThat(config.history()).hasSize(2);
        assertThat(config.history().get(1).emptyLayer()).isTrue();
        assertThat(config.history().get(0).comment()).isEqualTo("base");
    }

    @Test
    void modifiedConfigKeepsFieldsKilnDoesNotModel() {
        ImageConfig config = ImageConfig.parse(DOCKER_MADE.getBytes(StandardCharsets.UTF_8));
        ImageConfig changed = config.withConfig(config.config().withEnv(List.of("A=1")));

        ImageConfig again = ImageConfig.parse(changed.toJson());

        assertThat(again.config().env()).containsExactly("A=1");
        assertThat(again.unknownFields()).containsOnlyKeys("container_config", "docker_version");
        assertThat(again.unknownFields().get("docker_version").textValue()).isEqualTo("24.0.7");
        assertThat(again.config().unknownFields()).containsOnlyKeys("AttachStdin", "Domainname", "Hostname");
        assertThat(again.config().healthcheck().unknownFields().get("Extra").decimalValue())
                .isEqualByComparingTo("1.50");
        assertThat(again.history().get(1).unknownFields().get("future_field").toString())
                .isEqualTo("{\"nested\":[1,2]}");
        assertThat(new String(again.toJson(), StandardCharsets.UTF_8)).contains("\"Extra\":1.50");
        assertThat(again).isEqualTo(changed);
    }

    @Test
    void sameConfigGivesSameBytes() {
        byte[] first =
                ImageConfig.parse(DOCKER_MADE.getBytes(StandardCharsets.UTF_8)).toJson();
        byte[] second =
                ImageConfig.parse(DOCKER_MADE.getBytes(StandardCharsets.UTF_8)).toJson();
        byte[] reread = ImageConfig.parse(first).toJson();

        assertThat(second).isEqualTo(first);
        assertThat(reread).isEqualTo(first);
        assertThat(Digest.sha256(reread)).isEqualTo(Digest.sha256(first));
    }

    @Test
    void writesGoFieldOrderCompactlyWithGoEscapes() {
        ImageConfig config = ImageConfig.empty(Platform.parse("linux/arm/v7"))
                .withCreated(Instant.parse("1970-01-01T00:00:00Z"))
                .withConfig(ContainerConfig.EMPTY
                        .withCmd(List.of("sh"))
                        .withLabels(Map.of("b", "x<y", "a", "1"))
                        .withExposedPorts(Set.of("80/tcp"))
                        .withWorkingDir("/"))
                .withLayer(
                        Digest.parse(DIFF_ID),
                        History.of(Instant.parse("2020-01-02T03:04:05.500Z"), "COPY . /", "", false));

        String json = new String(config.toJson(), StandardCharsets.UTF_8);

        assertThat(json)
                .isEqualTo("{\"created\":\"1970-01-01T00:00:00Z\",\"architecture\":\"arm\",\"os\":\"linux\","
                        + "\"variant\":\"v7\",\"config\":{\"ExposedPorts\":{\"80/tcp\":{}},\"Cmd\":[\"sh\"],\"WorkingDir\":\"/\","
                        + "\"Labels\":{\"a\":\"1\",\"b\":\"x\\u003cy\"}},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\""
                        + DIFF_ID
                        + "\"]},\"history\":[{\"created\":\"2020-01-02T03:04:05.5Z\",\"created_by\":\"COPY . /\"}]}");
    }

    @Test
    void configOfImageWithoutLayersStillHasRootfsAndConfig() {
        String json =
                new String(ImageConfig.empty(Platform.of("linux", "amd64")).toJson(), StandardCharsets.UTF_8);

        assertThat(json)
                .isEqualTo(
                        "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}");
    }

    @Test
    void dockerOciImageJsonPutsConfigLastAsBuildKitsFrontendWritesIt() {
        ImageConfig config = ImageConfig.empty(Platform.of("linux", "amd64"))
                .withRootFs(RootFs.unlisted())
                .withAuthor("Jane <jane@example.com>")
                .withConfig(ContainerConfig.EMPTY
                        .withEnv(List.of("PATH=/bin"))
                        .withWorkingDir("/")
                        .withHealthcheck(Healthcheck.of(List.of("NONE"), null, null, null, null, 0)))
                .withStep(History.of(null, "RUN a > b && c", "buildkit.dockerfile.v0", false))
                .withStep(History.of(null, "USER 0", "buildkit.dockerfile.v0", true));

        String json = new String(config.toDockerOciImageJson(), StandardCharsets.UTF_8);

        // dockerspec.DockerOCIImage: its own Config shadows the embedded ocispecs.Image's, so Go writes it last
        assertThat(json)
                .isEqualTo(
                        "{\"author\":\"Jane \\u003cjane@example.com\\u003e\",\"architecture\":\"amd64\","
                                + "\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":null},\"history\":["
                                + "{\"created_by\":\"RUN a \\u003e b \\u0026\\u0026 c\",\"comment\":\"buildkit.dockerfile.v0\"},"
                                + "{\"created_by\":\"USER 0\",\"comment\":\"buildkit.dockerfile.v0\",\"empty_layer\":true}],"
                                + "\"config\":{\"Env\":[\"PATH=/bin\"],\"WorkingDir\":\"/\",\"Healthcheck\":{\"Test\":[\"NONE\"]}}}");
        assertThat(ImageConfig.parseDockerOciImage(json.getBytes(StandardCharsets.UTF_8), "config"))
                .isEqualTo(config);
    }

    @Test
    void withPlatformWritesAllFivePlatformFieldsAndKeepsTheRest() {
        Platform windows = new Platform("windows", "arm64", "v8", "10.0.17763.1234", List.of("win32k"));
        ImageConfig config = ImageConfig.empty(Platform.of("linux", "amd64"))
                .withAuthor("Jane")
                .withPlatform(windows);

        assertThat(config.platform()).isEqualTo(windows);
        assertThat(config.author()).isEqualTo("Jane");
        assertThat(new String(config.toJson(), StandardCharsets.UTF_8))
                .isEqualTo("{\"author\":\"Jane\",\"architecture\":\"arm64\",\"os\":\"windows\","
                        + "\"os.version\":\"10.0.17763.1234\",\"os.features\":[\"win32k\"],\"variant\":\"v8\","
                        + "\"config\":{},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}");
    }

    @Test
    void containerConfigWithersNormaliseAsTheConstructorDoes() {
        ContainerConfig config = ContainerConfig.EMPTY
                .withUser(null)
                .withExposedPorts(Set.of("8080/tcp", "53/udp", "443/tcp"))
                .withLabels(Map.of("z", "1", "a", "2"))
                .withEnv((List<String>) null);

        assertThat(config.user()).isEmpty();
        assertThat(config.exposedPorts()).containsExactly("443/tcp", "53/udp", "8080/tcp");
        assertThat(config.labels().keySet()).containsExactly("a", "z");
        assertThat(config.env()).isEmpty();
    }

    @Test
    void dockerOciImageReadsAsGoStructsDo() {
        ImageConfig config = ImageConfig.parseDockerOciImage(DOCKER_MADE.getBytes(StandardCharsets.UTF_8), "config");

        assertThat(config.unknownFields()).isEmpty();
        assertThat(config.config().unknownFields()).isEmpty();
        assertThat(config.config().healthcheck().unknownFields()).isEmpty();
        assertThat(config.history().get(1).unknownFields()).isEmpty();
        assertThat(config.config().user()).isEqualTo("1000:1000");
        assertThat(new String(config.toDockerOciImageJson(), StandardCharsets.UTF_8))
                .doesNotContain("docker_version", "Hostname", "Extra", "future_field");
        // a config without a platform, which Go decodes with empty strings, is read so too
        ImageConfig noPlatform =
                ImageConfig.parseDockerOciImage("{\"config\":{\"User\":\"app\"}}".getBytes(), "config");
        assertThat(noPlatform.architecture()).isEmpty();
        assertThat(noPlatform.os()).isEmpty();
        assertThat(noPlatform.config().user()).isEqualTo("app");
    }

    @Test
    void diffIdsThatWereNeverSetStayNullAndAnEmptyListStaysEmpty() {
        String unset =
                "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":null}}";
        String absent = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\"}}";
        String empty = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";

        assertThat(new String(ImageConfig.parse(unset.getBytes()).toJson(), StandardCharsets.UTF_8))
                .contains("\"diff_ids\":null");
        assertThat(new String(ImageConfig.parse(absent.getBytes()).toJson(), StandardCharsets.UTF_8))
                .contains("\"diff_ids\":null");
        assertThat(new String(ImageConfig.parse(empty.getBytes()).toJson(), StandardCharsets.UTF_8))
                .contains("\"diff_ids\":[]");
        ImageConfig layered =
                ImageConfig.parse(unset.getBytes()).withLayer(Digest.parse(DIFF_ID), History.of(null, "", "", false));
        assertThat(layered.rootfs().nullDiffIds()).isFalse();
        assertThat(layered.rootfs().diffIds()).containsExactly(Digest.parse(DIFF_ID));
    }

    @Test
    void envVariableIsReplacedInPlaceOrAdded() {
        ContainerConfig config = ContainerConfig.EMPTY.withEnv(List.of("PATH=/bin", "A=1", "B"));

        assertThat(config.withEnv("A", "2").env()).containsExactly("PATH=/bin", "A=2", "B");
        assertThat(config.withEnv("B", "x=y").env()).containsExactly("PATH=/bin", "A=1", "B=x=y");
        assertThat(config.withEnv("C", "").env()).containsExactly("PATH=/bin", "A=1", "B", "C=");
    }

    @Test
    void errorsNameTheDocumentAndTheField() {
        assertThatThrownBy(() -> ImageConfig.parse("""
        {"architecture":"amd64","os":"linux","config":{"Env":["A=1", 2]}}""".getBytes(), "config of app:1"))
                .isInstanceOf(OciFormatException.class)
                .hasMessage("config of app:1: field config.Env[1]: expected a string, found number 2");
        assertThatThrownBy(() -> ImageConfig.parse("""
        {"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:abc"]}}""".getBytes()))
                .hasMessageStartingWith("image config: field rootfs.diff_ids[0]: invalid digest \"sha256:abc\"");
        assertThatThrownBy(() -> ImageConfig.parse("""
        {"architecture":"amd64","os":"linux","history":[{},{"created":"yesterday"}]}""".getBytes()))
                .hasMessage("image config: field history[1].created: not an RFC 3339 time: \"yesterday\"");
        assertThatThrownBy(() -> ImageConfig.parse("{\"os\":\"linux\"}".getBytes()))
                .hasMessage("image config: field architecture: missing");
        assertThatThrownBy(() -> ImageConfig.parse("{\"os\":".getBytes()))
                .hasMessageStartingWith("image config: not valid JSON (line 1, column");
        assertThatThrownBy(() -> ImageConfig.parse("[]".getBytes()))
                .hasMessage("image config: expected a JSON object, found an array");
    }
}
