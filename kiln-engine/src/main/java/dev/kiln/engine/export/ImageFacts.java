package dev.kiln.engine.export;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What an image export (stored, pushed or archived) answers with: BuildKit's result facts, named in
 * {@link Exporters}.
 */
final class ImageFacts {

    private ImageFacts() {}

    /** The digests of {@code image} and, when it has any, the names it was given. */
    static Map<String, String> of(AssembledImage image, List<String> names) {
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put(Exporters.IMAGE_DIGEST, image.manifestDescriptor().digest().toString());
        facts.put(Exporters.CONFIG_DIGEST, image.configDescriptor().digest().toString());
        if (!names.isEmpty()) {
            facts.put(Exporters.IMAGE_NAME, String.join(",", names));
        }
        return Map.copyOf(facts);
    }
}
