package dev.kiln.cli;

import dev.kiln.core.GoJson;
import dev.kiln.engine.BuildOutcome;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.TreeMap;

/**
 * The JSON {@code --metadata-file} writes, like buildx's: the image's digests, descriptor and names when an
 * image was made ({@code containerimage.digest}, {@code containerimage.config.digest},
 * {@code containerimage.descriptor}, {@code image.name}) plus Kiln's own build facts.
 */
final class BuildMetadata {

    /** The manifest's descriptor: base64 of its JSON in the result, the JSON object itself in the file, as buildx. */
    private static final String DESCRIPTOR = "containerimage.descriptor";

    /** The result facts buildx writes; frontends' own metadata (configs, platforms) stays out. */
    private static final java.util.Set<String> FACTS =
            java.util.Set.of("containerimage.digest", "containerimage.config.digest", DESCRIPTOR, "image.name");

    private BuildMetadata() {}

    /** The file of the embedded engine's build. */
    static void write(Path file, BuildOutcome outcome) throws IOException {
        Map<String, String> facts = new TreeMap<>();
        outcome.result().metadata().forEach((key, value) -> facts.put(key, new String(value, StandardCharsets.UTF_8)));
        write(file, facts, outcome.elapsed());
    }

    /** The file of a build whose result facts are {@code facts} (a daemon's exporter response, say). */
    static void write(Path file, Map<String, String> facts, java.time.Duration elapsed) throws IOException {
        Map<String, String> fields = new TreeMap<>();
        facts.forEach((key, value) -> {
            if (FACTS.contains(key)) {
                fields.put(key, value);
            }
        });
        fields.put("kiln.build.duration", PlainProgress.seconds(elapsed));
        StringBuilder json = new StringBuilder("{\n");
        int i = 0;
        for (Map.Entry<String, String> field : fields.entrySet()) {
            json.append("  ")
                    .append(GoJson.string(field.getKey()))
                    .append(": ")
                    .append(
                            field.getKey().equals(DESCRIPTOR)
                                    ? descriptorJson(field.getValue())
                                    : GoJson.string(field.getValue()))
                    .append(++i < fields.size() ? ",\n" : "\n");
        }
        json.append("}\n");
        writeAtomically(file, json.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** The descriptor's JSON, or the value as a string when it is not base64 of a JSON object. */
    private static String descriptorJson(String base64) {
        try {
            String json = new String(java.util.Base64.getDecoder().decode(base64), StandardCharsets.UTF_8).strip();
            return json.startsWith("{") && json.endsWith("}") ? json : GoJson.string(base64);
        } catch (IllegalArgumentException notBase64) {
            return GoJson.string(base64);
        }
    }

    /**
     * Writes {@code bytes} to {@code file} through a temporary file beside it, so a reader never sees half of it.
     * (The worker's AtomicWrite does the same with fsync; the daemon client must not load worker classes.)
     */
    static void writeAtomically(Path file, byte[] bytes) throws IOException {
        Path target = file.toAbsolutePath();
        Files.createDirectories(target.getParent());
        Path temp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".tmp");
        try {
            Files.write(temp, bytes);
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
