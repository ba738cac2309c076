package dev.kiln.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.engine.export.ArchiveDestination;
import dev.kiln.engine.export.ExportTarget;
import dev.kiln.engine.export.Exporters;
import dev.kiln.engine.export.ImageOptions;
import dev.kiln.llb.RunOption;
import dev.kiln.llb.State;
import dev.kiln.oci.MediaTypes;
import dev.kiln.oci.testing.ImageTar;
import dev.kiln.oci.testing.Tools;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;

/** OCI layout and Docker archives of built images, read back by umoci and skopeo. */
class ImageArchiveTest extends EngineWithBusybox {

    static final ObjectMapper JSON = new ObjectMapper();

    State built(String text) {
        return State.image(busybox.toString())
                .run(RunOption.sh("echo " + text + " > /in-archive"))
                .root();
    }

    @Test
    void ociArchiveUnpacksWithUmociAndShowsTheRunStepsFile() throws Exception {
        Path archive = tmp.resolve("out/app.oci.tar");

        BuildOutcome outcome = kiln.build(
                built("from-oci"),
                new ExportTarget.OciArchive(
                        new ArchiveDestination.ToFile(archive),
                        List.of("example.com/app:1.0"),
                        ImageOptions.defaults()));

        Path layout = Files.createDirectories(tmp.resolve("oci-layout"));
        Tools.run(tmp, "tar", "-xf", archive.toString(), "-C", layout.toString());
        assertThat(layout.resolve("oci-layout")).content().contains("\"imageLayoutVersion\":\"1.0.0\"");
        JsonNode index = JSON.readTree(layout.resolve("index.json").toFile());
        JsonNode entry = index.get("manifests").get(0);
        assertThat(entry.get("digest").asText()).isEqualTo(fact(outcome, Exporters.IMAGE_DIGEST));
        assertThat(entry.get("annotations")
                        .get("org.opencontainers.image.ref.name")
                        .asText())
                .isEqualTo("1.0");
        assertThat(entry.get("annotations").get("io.containerd.image.name").asText())
                .isEqualTo("example.com/app:1.0");

        Path bundle = tmp.resolve("bundle");
        Tools.run(tmp, "umoci", "unpack", "--image", layout + ":1.0", bundle.toString());
        assertThat(bundle.resolve("rootfs/in-archive")).hasContent("from-oci\n");
        assertThat(bundle.resolve("rootfs/bin/busybox")).isRegularFile();
        JsonNode inspected = Tools.skopeoInspect(tmp, "oci:" + layout + ":1.0");
        assertThat(inspected.get("Layers")).hasSize(2);
    }

    @Test
    void dockerArchiveIsAcceptedBySkopeoWithItsTags() throws Exception {
        Path archive = tmp.resolve("out/app.docker.tar");

        kiln.build(
                built("from-docker"),
                new ExportTarget.DockerArchive(
                        new ArchiveDestination.ToFile(archive),
                        List.of("app:2", "registry.example.com/team/app:2"),
                        ImageOptions.dockerDefaults()));

        JsonNode inspected = Tools.skopeoInspect(tmp, "docker-archive:" + archive);
        assertThat(inspected.get("Layers")).hasSize(2);
        assertThat(inspected.get("Env").toString()).contains("PATH=");
        Map<String, byte[]> files = entries(Files.newInputStream(archive));
        JsonNode manifest = JSON.readTree(files.get("manifest.json"));
        assertThat(manifest.get(0).get("RepoTags").toString())
                .isEqualTo("[\"app:2\",\"registry.example.com/team/app:2\"]");
        assertThat(manifest.get(0).get("Layers")).hasSize(2);
        for (JsonNode layer : manifest.get(0).get("Layers")) {
            assertThat(files).containsKey(layer.asText());
        }
        JsonNode dockerManifest = ImageTar.firstManifest(files);
        assertThat(dockerManifest.get("mediaType").asText()).isEqualTo(MediaTypes.DOCKER_MANIFEST);
    }

    @Test
    void archiveToAStreamIsTheSameAsToAFileAndRepeatsByteForByte() throws Exception {
        Path archive = tmp.resolve("out/repeat.tar");
        ImageOptions options = ImageOptions.defaults().withSourceDateEpoch(Instant.parse("2024-01-02T03:04:05Z"));
        ByteArrayOutputStream streamed = new ByteArrayOutputStream();

        kiln.build(
                built("repeat"),
                new ExportTarget.OciArchive(new ArchiveDestination.ToFile(archive), List.of("repeat:1"), options));
        kiln.build(
                built("repeat"),
                new ExportTarget.OciArchive(new ArchiveDestination.ToStream(streamed), List.of("repeat:1"), options));

        assertThat(streamed.toByteArray()).isEqualTo(Files.readAllBytes(archive));
        assertThat(entries(new ByteArrayInputStream(streamed.toByteArray())).keySet())
                .startsWith("oci-layout", "blobs/", "blobs/sha256/");
        try (var names = Files.list(archive.getParent())) {
            assertThat(names.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".partial"));
        }
    }

    @Test
    void unnamedImageIsListedOnceWithoutATag() throws Exception {
        ByteArrayOutputStream streamed = new ByteArrayOutputStream();

        kiln.build(
                built("unnamed"),
                new ExportTarget.OciArchive(
                        new ArchiveDestination.ToStream(streamed), List.of(), ImageOptions.defaults()));

        JsonNode index = JSON.readTree(
                entries(new ByteArrayInputStream(streamed.toByteArray())).get("index.json"));
        assertThat(index.get("manifests")).hasSize(1);
        JsonNode annotations = index.get("manifests").get(0).get("annotations");
        assertThat(annotations.has("org.opencontainers.image.ref.name")).isFalse();
        assertThat(annotations.has("org.opencontainers.image.created")).isTrue();
    }

    /** tar=false into one directory, as BuildKit's client keeps a layout: each name moves, other images stay. */
    @Test
    void aLayoutDirectoryKeepsTheImagesOfEarlierExportsUnderOtherNames() throws Exception {
        Path layout = tmp.resolve("layout");
        String first = layoutExport(built("first"), layout, "example.com/app:1");
        String second = layoutExport(built("second"), layout, "app:2");
        String third = layoutExport(built("third"), layout, "example.com/app:1");
        String unnamed = layoutExport(built("unnamed"), layout);
        String unnamedAgain = layoutExport(built("unnamed again"), layout);

        JsonNode manifests =
                JSON.readTree(layout.resolve("index.json").toFile()).get("manifests");
        assertThat(manifests).hasSize(3);
        assertThat(manifests.findValuesAsText("digest")).containsExactly(second, third, unnamedAgain);
        assertThat(manifests.findValuesAsText("org.opencontainers.image.ref.name"))
                .containsExactly("2", "1", "latest");
        assertThat(manifests.findValuesAsText("io.containerd.image.name"))
                .containsExactly("docker.io/library/app:2", "example.com/app:1");
        assertThat(List.of(first, unnamed)).doesNotContainAnyElementsOf(manifests.findValuesAsText("digest"));
        // the blobs of images no longer listed stay: BuildKit's client never removes a blob either
        assertThat(layout.resolve("blobs/sha256/" + first.substring("sha256:".length())))
                .isRegularFile();

        for (var tagged :
                Map.of("1", "third", "2", "second", "latest", "unnamed again").entrySet()) {
            Path bundle = tmp.resolve("bundle-" + tagged.getKey());
            Tools.run(tmp, "umoci", "unpack", "--image", layout + ":" + tagged.getKey(), bundle.toString());
            assertThat(bundle.resolve("rootfs/in-archive")).hasContent(tagged.getValue() + "\n");
        }
    }

    @Test
    void aLayoutDirectoryWhoseIndexIsNoIndexIsAnErrorThatNamesIt() throws Exception {
        Path layout = Files.createDirectories(tmp.resolve("broken-layout"));
        Files.writeString(layout.resolve("index.json"), "{\"manifests\": 7}");

        assertThatThrownBy(() -> layoutExport(built("refused"), layout, "example.com/app:1"))
                .hasMessageContaining(layout.resolve("index.json").toString())
                .hasMessageContaining("not an OCI image index");
        assertThat(layout.resolve("index.json")).hasContent("{\"manifests\": 7}");
    }

    /** Exports {@code state} with tar=false into {@code layout}; answers the listed image's digest. */
    private String layoutExport(State state, Path layout, String... names) throws Exception {
        BuildOutcome outcome = kiln.build(
                state,
                new ExportTarget.OciArchive(
                        new ArchiveDestination.ToDirectory(layout), List.of(names), ImageOptions.defaults()));
        if (List.of(names).contains("app:2")) {
            // the answer names the image as BuildKit's does, in full, which is what a client's index lists
            assertThat(fact(outcome, Exporters.IMAGE_NAME)).isEqualTo("docker.io/library/app:2");
        }
        return fact(outcome, Exporters.IMAGE_DIGEST);
    }

    private static String fact(BuildOutcome outcome, String key) {
        return new String(outcome.result().metadata(key).orElseThrow(), StandardCharsets.UTF_8);
    }

    /** Every entry of a tar by name, in the archive's order. */
    private static Map<String, byte[]> entries(InputStream in) throws Exception {
        Map<String, byte[]> files = new LinkedHashMap<>();
        try (TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
            for (TarArchiveEntry entry; (entry = tar.getNextEntry()) != null; ) {
                files.put(entry.getName(), tar.readAllBytes());
            }
        }
        return files;
    }
}
