package dev.kiln.cli;

import dev.kiln.core.GoJson;
import dev.kiln.engine.BuildOutcome;
import dev.kiln.worker.AtomicWrite;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * The JSON {@code --metadata-file} writes, like buildx's: the image's digests and names when an
 * image was made ({@code containerimage.digest}, {@code containerimage.config.digest},
 * {@code image.name}) plus Kiln's own build facts.
 */
final class BuildMetadata {

    /** The result facts buildx writes; frontends' own metadata (configs, platforms) stays out. */
    private static final java.util.Set<String> FACTS = java.util.Set.of("containerimage.digest",
            "containerimage.config.digest", "image.name");

    private BuildMetadata() {
    }

    static void write(Path file, BuildOutcome outcome) throws IOException {
        Map<String, String> fields = new TreeMap<>();
        outcome.result().metadata().forEach((key, value) -> {
            if (FACTS.contains(key)) {
                fields.put(key, new String(value, StandardCharsets.UTF_8));
            }
        });
        fields.put("kiln.build.duration", PlainProgress.seconds(outcome.elapsed()));
        StringBuilder json = new StringBuilder("{\n");
        int i = 0;
        for (Map.Entry<String, String> field : fields.entrySet()) {
            json.append("  ").append(GoJson.string(field.getKey())).append(": ").append(GoJson.string(field.getValue()))
                    .append(++i < fields.size() ? ",\n" : "\n");
        }
        json.append("}\n");
        Path target = file.toAbsolutePath();
        java.nio.file.Files.createDirectories(target.getParent());
        AtomicWrite.write(target, json.toString().getBytes(StandardCharsets.UTF_8));
    }
}
