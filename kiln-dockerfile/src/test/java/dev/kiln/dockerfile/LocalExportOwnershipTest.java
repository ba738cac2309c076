package dev.kiln.dockerfile;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.core.sys.PosixFiles;
import dev.kiln.engine.export.ArchiveDestination;
import dev.kiln.engine.export.ExportTarget;
import dev.kiln.engine.export.ImageOptions;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Who owns what an export writes, as with BuildKit: a local export ({@code --output type=local}) hands its files
 * to the user who runs the build, the way buildctl writes what it receives over filesync as itself, keeping mode
 * bits and times; a tar export and an image keep the owners the image has.
 */
class LocalExportOwnershipTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant WHEN = Instant.parse("2001-02-03T04:05:06Z");

    @RegisterExtension
    static final DockerfileBuilds builds = new DockerfileBuilds();

    static Path context;

    @BeforeAll
    static void openEngine() throws Exception {
        context = Files.createDirectories(builds.dir.resolve("contexts/chown"));
        Files.writeString(context.resolve("Dockerfile"), """
                FROM scratch
                COPY --chown=1234:5678 f /f
                COPY --chown=1234:5678 d /d
                """);
        Path f = Files.writeString(context.resolve("f"), "owned\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r-----"));
        Files.setLastModifiedTime(f, FileTime.from(WHEN));
        Files.writeString(Files.createDirectories(context.resolve("d/sub")).resolve("g"), "g\n");
        Files.createSymbolicLink(context.resolve("d/link"), Path.of("../f"));
    }

    @Test
    void localExportGivesFilesToTheBuildingUserKeepingModeTimesAndLinks() throws Exception {
        Path out = builds.dir.resolve("local");

        export(new ExportTarget.LocalDirectory(out));

        String me = PosixFiles.uid() + ":" + PosixFiles.gid();
        for (String path : List.of("f", "d", "d/sub", "d/sub/g", "d/link")) {
            assertThat(owner(out.resolve(path))).as(path).isEqualTo(me);
        }
        assertThat(out.resolve("f")).hasContent("owned");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve("f"))))
                .isEqualTo("rw-r-----");
        assertThat(Files.getLastModifiedTime(out.resolve("f")).toInstant()).isEqualTo(WHEN);
        assertThat(Files.readSymbolicLink(out.resolve("d/link"))).isEqualTo(Path.of("../f"));
    }

    @Test
    void tarExportKeepsTheOwnersOfTheImage() throws Exception {
        Path tar = builds.dir.resolve("out.tar");

        export(new ExportTarget.TarFile(tar));

        Map<String, TarArchiveEntry> entries;
        try (InputStream in = Files.newInputStream(tar)) {
            entries = entries(in);
        }
        for (String path : List.of("f", "d/", "d/sub/", "d/sub/g", "d/link")) {
            TarArchiveEntry entry = entries.get(path);
            assertThat(entry.getLongUserId() + ":" + entry.getLongGroupId())
                    .as(path)
                    .isEqualTo("1234:5678");
        }
        assertThat(entries.get("f").getMode() & 07777).isEqualTo(0640);
    }

    @Test
    void imageKeepsTheOwnersOfTheImage() throws Exception {
        Path archive = builds.dir.resolve("image.oci.tar");

        export(new ExportTarget.OciArchive(
                new ArchiveDestination.ToFile(archive), List.of("example.com/owned:1"), ImageOptions.defaults()));

        Map<String, byte[]> blobs = new HashMap<>();
        Map<String, TarArchiveEntry> files = new HashMap<>();
        try (TarArchiveInputStream in = new TarArchiveInputStream(Files.newInputStream(archive))) {
            TarArchiveEntry entry;
            while ((entry = in.getNextEntry()) != null) {
                blobs.put(entry.getName(), in.readAllBytes());
            }
        }
        JsonNode index = JSON.readTree(blobs.get("index.json"));
        JsonNode manifest =
                JSON.readTree(blob(blobs, index.at("/manifests/0/digest").asText()));
        for (JsonNode layer : manifest.get("layers")) {
            try (InputStream in = new GZIPInputStream(
                    new ByteArrayInputStream(blob(blobs, layer.get("digest").asText())))) {
                files.putAll(entries(in));
            }
        }
        assertThat(files.get("f").getLongUserId() + ":" + files.get("f").getLongGroupId())
                .isEqualTo("1234:5678");
        assertThat(files.get("d/sub/g").getLongUserId() + ":"
                        + files.get("d/sub/g").getLongGroupId())
                .isEqualTo("1234:5678");
    }

    private static void export(ExportTarget target) throws Exception {
        builds.build(context, Map.of(), Map.of(), List.of(target), new ArrayList<>());
    }

    private static String owner(Path path) throws IOException {
        return Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS) + ":"
                + Files.getAttribute(path, "unix:gid", LinkOption.NOFOLLOW_LINKS);
    }

    private static byte[] blob(Map<String, byte[]> files, String digest) {
        return files.get("blobs/" + digest.replace(':', '/'));
    }

    private static Map<String, TarArchiveEntry> entries(InputStream stream) throws IOException {
        Map<String, TarArchiveEntry> entries = new HashMap<>();
        TarArchiveInputStream in = new TarArchiveInputStream(stream);
        TarArchiveEntry entry;
        while ((entry = in.getNextEntry()) != null) {
            entries.put(entry.getName(), entry);
        }
        return entries;
    }
}
