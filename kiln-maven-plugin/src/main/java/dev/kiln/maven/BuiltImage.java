package dev.kiln.maven;

import dev.kiln.engine.export.Exporters;
import java.util.Map;
import java.util.Optional;

/** What the export of a goal's image answered, either engine: the image's digest and the like, by BuildKit's keys. */
record BuiltImage(Map<String, String> facts) {

    BuiltImage {
        facts = Map.copyOf(facts);
    }

    /** The digest of the image (or index) the export made. */
    Optional<String> digest() {
        return Optional.ofNullable(facts.get(Exporters.IMAGE_DIGEST)).filter(digest -> !digest.isEmpty());
    }
}
