package dev.kiln.engine.cache;

import dev.kiln.core.GoBool;
import dev.kiln.core.ImageReference;
import java.nio.file.Path;
import java.util.Map;

/**
 * BuildKit's attributes of one {@code --cache-to} or {@code --cache-from}: the two directions name their local
 * directory and registry reference the same way, so they read them here, with the same errors.
 *
 * @param direction {@code export} or {@code import}, as an error says it
 */
record CacheAttributes(String direction, Map<String, String> attrs) {

    /** The local directory under {@code key} ({@code dest} or {@code src}), absolute. */
    Path directory(String key) {
        return Path.of(required("local", key, "DIR")).toAbsolutePath();
    }

    /** The manifest's tag in a local directory's index.json: "latest" unless {@code tag=} says otherwise. */
    String tag() {
        return attrs.getOrDefault("tag", "latest");
    }

    /** {@code ref=HOST/REPOSITORY:TAG}, checked to parse as an image reference. */
    String registryRef() {
        String ref = required("registry", "ref", "HOST/REPOSITORY:TAG");
        ImageReference.parseNormalized(ref);
        return ref;
    }

    /** As Go's strconv.ParseBool reads it ({@link GoBool}), as BuildKit's cache backends do; false when absent. */
    boolean bool(String key) {
        String value = attrs.getOrDefault(key, "false");
        return GoBool.parse(value)
                .orElseThrow(() -> new IllegalArgumentException(
                        "cache attribute " + key + " must be true or false, not \"" + value + "\""));
    }

    private String required(String type, String key, String form) {
        String value = attrs.getOrDefault(key, "");
        if (value.isEmpty()) {
            throw new IllegalArgumentException("cache " + direction + " type=" + type + " needs " + key + "=" + form);
        }
        return value;
    }
}
