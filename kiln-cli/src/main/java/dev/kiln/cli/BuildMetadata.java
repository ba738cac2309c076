package dev.kiln.cli;

import dev.kiln.engine.BuildOutcome;
import dev.kiln.worker.AtomicWrite;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * The JSON {@code --metadata-file} writes, like buildx's: the result's string metadata (such as
 * {@code containerimage.digest} when an image was made) plus Kiln's own build facts.
 */
final class BuildMetadata {

    private BuildMetadata() {
    }

    static void write(Path file, BuildOutcome outcome) throws IOException {
        Map<String, String> fields = new TreeMap<>();
        outcome.result().metadata().forEach((key, value) -> {
            if (key.startsWith("containerimage.") && !key.equals("containerimage.config")) {
                fields.put(key, new String(value, StandardCharsets.UTF_8));
            }
        });
        fields.put("kiln.build.duration", PlainProgress.seconds(outcome.elapsed()));
        StringBuilder json = new StringBuilder("{\n");
        int i = 0;
        for (Map.Entry<String, String> field : fields.entrySet()) {
            json.append("  ").append(Json.string(field.getKey())).append(": ").append(Json.string(field.getValue()))
                    .append(++i < fields.size() ? ",\n" : "\n");
        }
        json.append("}\n");
        Path target = file.toAbsolutePath();
        java.nio.file.Files.createDirectories(target.getParent());
        AtomicWrite.write(target, json.toString().getBytes(StandardCharsets.UTF_8));
    }
}
