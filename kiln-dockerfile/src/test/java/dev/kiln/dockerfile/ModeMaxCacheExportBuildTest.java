package dev.kiln.dockerfile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.engine.cache.CacheExport;
import dev.kiln.engine.export.ArchiveDestination;
import dev.kiln.engine.export.ExportTarget;
import dev.kiln.engine.export.ImageOptions;
import dev.kiln.solver.ProgressEvent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A Dockerfile build with an image output and a mode=max cache export: every step's layer is compressed while the
 * build runs, and the exports begin only once they all are, so neither compresses a layer itself (the Dockerfile
 * frontend hands the engine a result whose steps have not run yet: they run when the build asks for them).
 */
class ModeMaxCacheExportBuildTest {

    private static final String AHEAD = "compressing layers ahead of the export";
    private static final String IMAGE_EXPORT = "exporting to oci image format";

    @RegisterExtension
    static final DockerfileBuilds builds = new DockerfileBuilds();

    @Test
    void theExportsBeginOnceEveryStepsLayerIsWritten() throws Exception {
        Path context = builds.context("mode-max", Map.of("Dockerfile", """
                FROM busybox AS deps
                RUN head -c 3000000 /dev/urandom > /deps.bin
                FROM busybox
                COPY --from=deps /deps.bin /deps.bin
                RUN head -c 3000000 /dev/urandom > /second.bin
                RUN head -c 3000000 /dev/urandom > /third.bin
                """));
        Path tar = builds.dir.resolve("mode-max.tar");
        Path cache = builds.dir.resolve("mode-max-cache");
        List<ProgressEvent> events = Collections.synchronizedList(new ArrayList<>());
        ExportTarget oci =
                new ExportTarget.OciArchive(new ArchiveDestination.ToFile(tar), List.of(), ImageOptions.defaults());

        builds.engine.build(
                builds.request(context, Map.of(), Map.of(), List.of(oci))
                        .withCache(
                                List.of(CacheExport.of("local", Map.of("dest", cache.toString(), "mode", "max"))),
                                List.of()),
                events::add);

        Instant exportBegan = events.stream()
                .filter(e -> e instanceof ProgressEvent.VertexStarted
                        && e.vertexName().equals(IMAGE_EXPORT))
                .map(ProgressEvent::timestamp)
                .findFirst()
                .orElseThrow();
        List<ProgressEvent.VertexLog> ahead = logs(events, AHEAD);
        // the deps stage's layer, the copy's and the two RUN layers (the base's is busybox's local source too)
        assertThat(ahead)
                .hasSizeGreaterThanOrEqualTo(4)
                .allMatch(line -> line.timestamp().isBefore(exportBegan));
        assertThat(logs(events, IMAGE_EXPORT)).noneMatch(line -> text(line).startsWith("compressing layer "));
        assertThat(logs(events, "exporting cache to client directory"))
                .noneMatch(line -> text(line).startsWith("compressing layer "));
        assertThat(tar).isNotEmptyFile();
        assertThat(cache.resolve("index.json")).exists();
    }

    private static List<ProgressEvent.VertexLog> logs(List<ProgressEvent> events, String step) {
        return events.stream()
                .filter(e -> e instanceof ProgressEvent.VertexLog log
                        && log.vertexName().equals(step))
                .map(e -> (ProgressEvent.VertexLog) e)
                .toList();
    }

    private static String text(ProgressEvent.VertexLog line) {
        return new String(line.data(), StandardCharsets.UTF_8);
    }
}
