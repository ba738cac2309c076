package dev.kiln.oci.layer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.core.Overlay;
import dev.kiln.core.sys.PosixFiles;
import dev.kiln.core.sys.Xattrs;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Layers exchanged with GNU tar, gzip, zstd and umoci, the tools Debian ships. */
class ThirdPartyToolsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path temp;

    @ParameterizedTest
    @ValueSource(strings = {"gnu", "posix"})
    void appliesLayersGnuTarWrote(String format) throws Exception {
        Path source = Files.createDirectory(temp.resolve("source"));
        LayerTrees.populate(source, LayerTrees.Markers.AUFS_FILES);
        Path reference = Files.createDirectory(temp.resolve("reference"));
        LayerTrees.populate(reference, LayerTrees.Markers.OVERLAY);
        byte[] tar = run(
                null,
                "tar",
                "--format=" + format,
                "--xattrs",
                "--xattrs-include=*",
                "--numeric-owner",
                "-C",
                source.toString(),
                "-cf",
                "-",
                ".");

        Path unpacked = Files.createDirectory(temp.resolve("unpacked"));
        AppliedLayer applied = LayerUnpacker.apply(new ByteArrayInputStream(tar), unpacked);

        assertThat(LayerTrees.describe(unpacked)).containsExactlyEntriesOf(LayerTrees.describe(reference));
        assertThat(applied.diffId().toString()).isEqualTo(LayerTrees.sha(tar));
        assertThat(applied.warnings()).isEmpty();
    }

    @Test
    void gnuTarExtractsWhatKilnWrote() throws Exception {
        Path source = Files.createDirectory(temp.resolve("source"));
        LayerTrees.populate(source, LayerTrees.Markers.NONE);
        byte[] tar =
                LayerRoundTripTest.write(source, LayerWriteOptions.defaults().withCompression(LayerCompression.NONE));

        Path extracted = Files.createDirectory(temp.resolve("extracted"));
        run(
                tar,
                "tar",
                "--xattrs",
                "--xattrs-include=*",
                "--numeric-owner",
                "-p",
                "-C",
                extracted.toString(),
                "-xf",
                "-");

        assertThat(LayerTrees.describe(extracted)).containsExactlyEntriesOf(LayerTrees.describe(source));
    }

    @ParameterizedTest
    @EnumSource(
            value = LayerCompression.class,
            names = {"GZIP", "ZSTD"})
    void gzipAndZstdCommandsDecompressKilnBlobsToTheDiffId(LayerCompression compression) throws Exception {
        Path source = Files.createDirectory(temp.resolve("source"));
        LayerTrees.populate(source);
        Path blob = temp.resolve("blob");
        WrittenLayer written;
        try (OutputStream out = Files.newOutputStream(blob)) {
            written =
                    LayerWriter.write(source, out, LayerWriteOptions.defaults().withCompression(compression));
        }

        String tool = compression == LayerCompression.GZIP ? "gzip" : "zstd";
        byte[] tar = run(null, tool, "-dc", blob.toString());

        assertThat(LayerTrees.sha(tar)).isEqualTo(written.diffId().toString());
    }

    @Test
    void umociUnpacksKilnLayersAndKilnAppliesWhatUmociRepacks() throws Exception {
        Path base = Files.createDirectory(temp.resolve("base"));
        LayerTrees.file(base, "a.txt", "a", 0644, 0, 0);
        LayerTrees.dir(base, "keep", 0755, 0, 0);
        LayerTrees.file(base, "keep/x", "x", 0600, 1000, 1000);
        LayerTrees.dir(base, "old", 0755, 0, 0);
        LayerTrees.file(base, "old/y", "y", 0644, 0, 0);
        LayerTrees.file(base, "old/z", "z", 0644, 0, 0);
        LayerTrees.file(base, "bin-tool", "tool", 04755, 0, 0);
        LayerTrees.symlink(base, "link", "keep/x", 0, 0);
        Files.createLink(base.resolve("hard"), base.resolve("a.txt"));
        Path upper = Files.createDirectory(temp.resolve("upper"));
        PosixFiles.mknod(upper.resolve("a.txt"), PosixFiles.S_IFCHR, 0);
        LayerTrees.dir(upper, "old", 0755, 0, 0);
        Xattrs.set(upper.resolve("old"), Overlay.OPAQUE_XATTR, Overlay.opaqueValue());
        LayerTrees.file(upper, "old/new", "new", 0644, 0, 0);
        LayerTrees.file(upper, "b.txt", "b", 0640, 0, 42);

        Path layout = temp.resolve("layout");
        OciLayout.write(layout, "latest", List.of(base, upper));
        Path bundle = temp.resolve("bundle");
        run(null, "umoci", "unpack", "--image", layout + ":latest", bundle.toString());

        Path rootfs = bundle.resolve("rootfs");
        assertThat(LayerTrees.names(rootfs))
                .containsExactlyInAnyOrder("b.txt", "bin-tool", "hard", "keep", "link", "old");
        assertThat(LayerTrees.names(rootfs.resolve("old"))).containsExactly("new");
        SortedMap<String, String> unpacked = LayerTrees.describe(rootfs);
        assertThat(unpacked.get("keep/x")).startsWith("file 600 1000:1000");
        assertThat(unpacked.get("bin-tool")).startsWith("file 4755 0:0");
        assertThat(unpacked.get("b.txt")).startsWith("file 640 0:42");
        assertThat(unpacked.get("link")).contains("-> keep/x");

        Files.delete(rootfs.resolve("keep/x"));
        Files.writeString(rootfs.resolve("c.txt"), "c");
        run(null, "umoci", "repack", "--image", layout + ":next", bundle.toString());

        JsonNode layer = OciLayout.layers(layout, "next").getLast();
        Path applied = Files.createDirectory(temp.resolve("applied"));
        AppliedLayer result;
        try (InputStream blob =
                Files.newInputStream(OciLayout.blob(layout, layer.get("digest").asText()))) {
            result = LayerUnpacker.apply(blob, layer.get("mediaType").asText(), applied);
        }
        assertThat(result.digest().toString()).isEqualTo(layer.get("digest").asText());
        assertThat(OciLayout.diffIds(layout, "next").getLast())
                .isEqualTo(result.diffId().toString());
        SortedMap<String, String> diff = LayerTrees.describe(applied);
        assertThat(diff.get("keep/x")).startsWith("char 0 ").endsWith(" 0:0");
        assertThat(diff.get("c.txt")).startsWith("file 644 0:0");
        assertThat(applied.resolve("c.txt")).hasContent("c");
    }

    static byte[] run(byte[] input, String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.PIPE)
                .start();
        Thread feeder = Thread.ofVirtual().start(() -> {
            try (OutputStream stdin = process.getOutputStream()) {
                if (input != null) {
                    stdin.write(input);
                }
            } catch (IOException ignored) {
                // the tool exited early; its status and stderr say why
            }
        });
        List<byte[]> stderr = new ArrayList<>();
        Thread errors = Thread.ofVirtual().start(() -> {
            try {
                stderr.add(process.getErrorStream().readAllBytes());
            } catch (IOException ignored) {
                // only used for the failure message
            }
        });
        byte[] stdout = process.getInputStream().readAllBytes();
        int status = process.waitFor();
        feeder.join();
        errors.join();
        assertThat(status)
                .as(
                        "%s failed: %s",
                        String.join(" ", command),
                        stderr.isEmpty() ? "" : new String(stderr.getFirst(), StandardCharsets.UTF_8))
                .isZero();
        return stdout;
    }

    /** A minimal OCI image layout, written by hand so this test needs nothing but the layer package. */
    static final class OciLayout {
        static void write(Path layout, String tag, List<Path> layerDirectories) throws IOException {
            Files.createDirectories(layout.resolve("blobs/sha256"));
            Files.writeString(layout.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
            StringBuilder layers = new StringBuilder();
            StringBuilder diffIds = new StringBuilder();
            for (Path directory : layerDirectories) {
                Path temporary = layout.resolve("blobs/layer.tmp");
                WrittenLayer written;
                try (OutputStream out = Files.newOutputStream(temporary)) {
                    written = LayerWriter.write(directory, out, LayerWriteOptions.defaults());
                }
                Files.move(temporary, blob(layout, written.digest().toString()));
                layers.append(layers.isEmpty() ? "" : ",")
                        .append(descriptor(written.mediaType(), written.digest().toString(), written.size()));
                diffIds.append(diffIds.isEmpty() ? "" : ",")
                        .append('"')
                        .append(written.diffId())
                        .append('"');
            }
            String config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},"
                    + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[" + diffIds + "]}}";
            String configDescriptor = store(layout, "application/vnd.oci.image.config.v1+json", config);
            String manifest = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                    + "\"config\":" + configDescriptor + ",\"layers\":[" + layers + "]}";
            String manifestDescriptor = store(layout, "application/vnd.oci.image.manifest.v1+json", manifest);
            String tagged = manifestDescriptor.substring(0, manifestDescriptor.length() - 1)
                    + ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"" + tag + "\"}}";
            Files.writeString(
                    layout.resolve("index.json"),
                    "{\"schemaVersion\":2,"
                            + "\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[" + tagged
                            + "]}");
        }

        static List<JsonNode> layers(Path layout, String tag) throws IOException {
            List<JsonNode> layers = new ArrayList<>();
            manifest(layout, tag).get("layers").forEach(layers::add);
            return layers;
        }

        static List<String> diffIds(Path layout, String tag) throws IOException {
            JsonNode config = JSON.readTree(blob(
                            layout,
                            manifest(layout, tag).get("config").get("digest").asText())
                    .toFile());
            List<String> diffIds = new ArrayList<>();
            config.get("rootfs").get("diff_ids").forEach(id -> diffIds.add(id.asText()));
            return diffIds;
        }

        static Path blob(Path layout, String digest) {
            return layout.resolve("blobs/sha256").resolve(digest.substring("sha256:".length()));
        }

        private static JsonNode manifest(Path layout, String tag) throws IOException {
            for (JsonNode descriptor :
                    JSON.readTree(layout.resolve("index.json").toFile()).get("manifests")) {
                if (tag.equals(descriptor
                        .path("annotations")
                        .path("org.opencontainers.image.ref.name")
                        .asText())) {
                    return JSON.readTree(
                            blob(layout, descriptor.get("digest").asText()).toFile());
                }
            }
            throw new AssertionError("no manifest tagged " + tag + " in " + layout);
        }

        private static String store(Path layout, String mediaType, String json) throws IOException {
            byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
            String digest = LayerTrees.sha(bytes);
            Files.write(blob(layout, digest), bytes);
            return descriptor(mediaType, digest, bytes.length);
        }

        private static String descriptor(String mediaType, String digest, long size) {
            return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + digest + "\",\"size\":" + size + "}";
        }
    }
}
