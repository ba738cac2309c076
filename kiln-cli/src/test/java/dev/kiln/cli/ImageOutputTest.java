package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.engine.export.ArchiveDestination;
import dev.kiln.engine.export.ExportTarget;
import dev.kiln.llb.RunOption;
import dev.kiln.llb.State;
import dev.kiln.oci.layer.LayerCompression;
import dev.kiln.oci.testing.Tools;
import dev.kiln.worker.WithBusyboxRegistry;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code kiln build} with image outputs: -t, --push, type=image|registry|oci|docker, against a registry on 127.0.0.1. */
class ImageOutputTest extends WithBusyboxRegistry {

    static final ObjectMapper JSON = new ObjectMapper();

    final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    final ByteArrayOutputStream stderr = new ByteArrayOutputStream();

    @BeforeEach
    void clearOutput() {
        stdout.reset();
        stderr.reset();
    }

    private int kiln(State state, String... args) throws Exception {
        List<String> all =
                new ArrayList<>(List.of("--state", tmp.resolve("state").toString(), "--progress", "plain"));
        all.addAll(List.of(args));
        return new BuildCommand(
                        new PrintStream(stdout, true),
                        new PrintStream(stderr, true),
                        new ByteArrayInputStream(state.marshal().toByteArray()))
                .run(all);
    }

    private State greeting(String text) {
        return State.image(busybox.toString())
                .run(RunOption.sh("echo " + text + " > /greeting"))
                .root();
    }

    @Test
    void tagAndPushPushTheImageAndTheMetadataFileHasItsDigest() throws Exception {
        String name = registry.host() + "/cli/pushed:1";
        Path metadata = tmp.resolve("pushed.json");

        int code = kiln(greeting("cli"), "-t", name, "--push", "--metadata-file", metadata.toString());

        assertThat(code).isZero();
        JsonNode facts = JSON.readTree(metadata.toFile());
        String inspected = Tools.run("skopeo", "inspect", "--tls-verify=false", "docker://" + name);
        assertThat(JSON.readTree(inspected).get("Digest").asText())
                .isEqualTo(facts.get("containerimage.digest").asText());
        assertThat(facts.get("containerimage.config.digest").asText()).startsWith("sha256:");
        // as buildx writes it: the manifest's descriptor as a JSON object
        assertThat(facts.get("containerimage.descriptor").get("digest").asText())
                .isEqualTo(facts.get("containerimage.digest").asText());
        assertThat(facts.get("containerimage.descriptor").get("mediaType").asText())
                .isEqualTo("application/vnd.docker.distribution.manifest.v2+json");
        assertThat(stderr.toString(StandardCharsets.UTF_8))
                .contains("exporting to image")
                .contains("pushing manifest for " + name);
    }

    @Test
    void dockerfileBuildPushedWithTagCarriesTheFrontendsConfigAndHistory() throws Exception {
        Path context = java.nio.file.Files.createDirectories(tmp.resolve("dockerfile-context"));
        java.nio.file.Files.writeString(context.resolve("Dockerfile"), """
                FROM %s
                ENV GREETING=hello
                RUN echo "$GREETING" > /hello
                CMD ["cat", "/hello"]
                """.formatted(busybox));
        String name = registry.host() + "/cli/dockerfile:1";

        int code = new BuildCommand(
                        new PrintStream(stdout, true),
                        new PrintStream(stderr, true),
                        new ByteArrayInputStream(new byte[0]))
                .run(List.of(
                        "--state",
                        tmp.resolve("state").toString(),
                        "--progress",
                        "plain",
                        "-t",
                        name,
                        "--push",
                        context.toString()));

        assertThat(code).isZero();
        JsonNode config =
                JSON.readTree(Tools.run("skopeo", "inspect", "--tls-verify=false", "--config", "docker://" + name));
        assertThat(config.get("config").get("Cmd").toString()).isEqualTo("[\"cat\",\"/hello\"]");
        assertThat(config.get("config").get("Env").toString()).contains("GREETING=hello");
        assertThat(config.get("rootfs").get("diff_ids")).hasSize(2);
        List<String> steps = new ArrayList<>();
        config.get("history")
                .forEach(h -> steps.add(
                        h.get("created_by").asText() + (h.path("empty_layer").asBoolean(false) ? " (empty)" : "")));
        assertThat(steps).hasSize(4);
        assertThat(steps.get(2)).contains("RUN").doesNotContain("(empty)");
        assertThat(steps.get(3)).contains("CMD").endsWith("(empty)");
    }

    @Test
    void registryOutputWithTwoNamesPushesBoth() throws Exception {
        String first = registry.host() + "/cli/two:a";
        String second = registry.host() + "/cli/two:b";

        kiln(greeting("two"), "--output", "type=registry,\"name=" + first + "," + second + "\"");

        assertThat(JSON.readTree(Tools.run("skopeo", "inspect", "--tls-verify=false", "docker://" + first))
                        .get("Digest"))
                .isEqualTo(JSON.readTree(Tools.run("skopeo", "inspect", "--tls-verify=false", "docker://" + second))
                        .get("Digest"));
    }

    @Test
    void ociArchiveToStdoutIsAnImageLayout() throws Exception {
        kiln(greeting("stdout"), "--progress", "quiet", "--output", "type=oci,dest=-,name=app:1");

        List<String> names = new ArrayList<>();
        try (TarArchiveInputStream tar = new TarArchiveInputStream(new ByteArrayInputStream(stdout.toByteArray()))) {
            for (TarArchiveEntry entry; (entry = tar.getNextEntry()) != null; ) {
                names.add(entry.getName());
            }
        }
        assertThat(names).contains("oci-layout", "index.json").anyMatch(n -> n.startsWith("blobs/sha256/"));
    }

    @Test
    void pushWithoutANameIsAUsageError() {
        assertThatThrownBy(() -> kiln(greeting("nameless"), "--push"))
                .isInstanceOf(UsageException.class)
                .hasMessageContaining("-t NAME");
        assertThatThrownBy(() -> kiln(greeting("nameless"), "--output", "type=image,push=true"))
                .isInstanceOf(UsageException.class)
                .hasMessageContaining("needs an image name");
    }

    @Test
    void imageOutputsMapToTheirTargets() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Optional<String> noEpoch = Optional.empty();

        ExportTarget tagged = OutputSpec.parse("type=image").target(out, List.of("app:1"), true, noEpoch);
        ExportTarget zstd = OutputSpec.parse("type=image,name=a:1,name=b:1,compression=zstd,force-compression=true")
                .target(out, List.of(), false, Optional.of("1700000000"));
        ExportTarget docker =
                OutputSpec.parse("type=docker,dest=img.tar").target(out, List.of("app:1"), false, noEpoch);
        ExportTarget oci = OutputSpec.parse("type=oci,dest=-,source-date-epoch=5")
                .target(out, List.of(), false, Optional.of("1700000000"));

        assertThat(tagged)
                .isEqualTo(new ExportTarget.Image(
                        List.of("app:1"), true, dev.kiln.engine.export.ImageOptions.dockerDefaults()));
        ExportTarget.Image image = (ExportTarget.Image) zstd;
        assertThat(image.names()).containsExactly("a:1", "b:1");
        assertThat(image.push()).isFalse();
        assertThat(image.options().compression()).isEqualTo(LayerCompression.ZSTD);
        assertThat(image.options().forceCompression()).isTrue();
        assertThat(image.options().sourceDateEpoch()).contains(Instant.ofEpochSecond(1700000000));
        ExportTarget.DockerArchive archive = (ExportTarget.DockerArchive) docker;
        assertThat(archive.options().ociMediaTypes()).isFalse();
        assertThat(archive.destination()).isEqualTo(new ArchiveDestination.ToFile(Path.of("img.tar")));
        assertThat(((ExportTarget.OciArchive) oci).destination()).isEqualTo(new ArchiveDestination.ToStream(out));
        assertThat(((ExportTarget.OciArchive) oci).options().sourceDateEpoch()).contains(Instant.ofEpochSecond(5));
    }

    @Test
    void badImageOutputsNameTheProblem() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();

        assertThatThrownBy(() -> OutputSpec.parse("type=image,name=a,colour=blue")
                        .target(out, List.of(), false, Optional.empty()))
                .hasMessageContaining("unknown attribute colour")
                .hasMessageContaining("compression");
        assertThatThrownBy(() -> OutputSpec.parse("type=image,name=a,compression=xz")
                        .target(out, List.of(), false, Optional.empty()))
                .isInstanceOf(UsageException.class)
                .hasMessageContaining("compression=xz");
        assertThatThrownBy(() -> OutputSpec.parse("type=oci,name=a").target(out, List.of(), false, Optional.empty()))
                .hasMessageContaining("needs dest=FILE");
        assertThatThrownBy(() -> OutputSpec.parse("type=image,name=a,push=maybe")
                        .target(out, List.of(), false, Optional.empty()))
                .hasMessageContaining("push=maybe");
        assertThatThrownBy(() -> OutputSpec.parse("type=image,\"name=a")).hasMessageContaining("unclosed quote");
        assertThatThrownBy(() -> OutputSpec.parse("type=webdav,dest=x").target(out, List.of(), false, Optional.empty()))
                .hasMessageContaining("unknown type webdav");
    }

    @Test
    void quotedFieldsKeepTheirCommasAndRepeatedKeysAddUp() throws Exception {
        assertThat(OutputSpec.parse("type=image,\"name=a:1,b:1\",push=true"))
                .isEqualTo(new OutputSpec("image", Map.of("name", "a:1,b:1", "push", "true")));
        assertThat(OutputSpec.parse("type=image,name=a:1,name=b:1").attr("name"))
                .isEqualTo("a:1,b:1");
    }
}
