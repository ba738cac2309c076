package dev.kiln.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.engine.export.ArchiveDestination;
import dev.kiln.engine.export.ExportTarget;
import dev.kiln.engine.export.ImageOptions;
import dev.kiln.llb.FileAction;
import dev.kiln.llb.State;
import dev.kiln.oci.testing.ImageTar;
import dev.kiln.oci.testing.TextTree;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An image rebuilt after one file of a large COPY changed: its layer is compressed reusing the gzip blocks of the
 * layer before it, and is byte for byte the layer a fresh state builds from the same files.
 */
class LayerBlockReuseTest {
    /**
     * The fresh state's context is a copy with other mtimes: SOURCE_DATE_EPOCH with rewrite-timestamp clamps them, as
     * a user would.
     */
    private static final ImageOptions SAME_TIMES = ImageOptions.defaults()
            .withSourceDateEpoch(Instant.parse("2020-01-01T00:00:00Z"))
            .withRewriteTimestamp(true);

    @TempDir
    Path dir;

    @Test
    void aRebuiltLayerReusesEarlierBlocksAndIsTheLayerAFreshStateBuilds() throws Exception {
        String changedLayer;
        try (EngineFixture kiln = new EngineFixture(dir.resolve("warm"))) {
            Path context = TextTree.write(kiln.context("tree"));
            layerDigest(kiln, "first");
            Files.writeString(
                    context.resolve("dir3/file1503.txt"), "a longer text than the file had before\n".repeat(30));
            changedLayer = layerDigest(kiln, "second");
            try (Stream<Path> indexes = Files.list(dir.resolve("warm/state/worker/images/content/deflate-blocks"))) {
                assertThat(indexes.count()).isEqualTo(2); // the first layer's blocks, then the second's
            }
            Path fresh = dir.resolve("fresh");
            try (EngineFixture other = new EngineFixture(fresh)) {
                copyTree(context, other.context("tree"));
                assertThat(layerDigest(other, "fresh")).isEqualTo(changedLayer);
            }
        }
    }

    private static void copyTree(Path from, Path to) throws Exception {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path path : walk.toList()) {
                Path target = to.resolve(from.relativize(path).toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(path, target);
                }
            }
        }
    }

    /** Builds the tree's COPY into an OCI archive and gives the digest of its only layer. */
    private String layerDigest(EngineFixture kiln, String name) throws Exception {
        Path archive = dir.resolve(name + ".tar");
        kiln.build(
                State.scratch().file(FileAction.copy(State.local("tree"), "/", "/tree")),
                new ExportTarget.OciArchive(
                        new ArchiveDestination.ToFile(archive), List.of("reuse:" + name), SAME_TIMES));
        JsonNode manifest = ImageTar.firstManifest(ImageTar.files(archive));
        assertThat(manifest.get("layers")).hasSize(1);
        return manifest.get("layers").get(0).get("digest").asText();
    }
}
