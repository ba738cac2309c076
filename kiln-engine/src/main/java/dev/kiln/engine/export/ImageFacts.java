package dev.kiln.engine.export;

import dev.kiln.oci.Descriptor;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What an image export (stored, pushed or archived) answers with: BuildKit's result facts, named in
 * {@link Exporters}.
 */
final class ImageFacts {

    private ImageFacts() {}

    /**
     * The digests of {@code image} and, when it has any, the names it was given. An index has no config of its own:
     * its digest is the image's, as BuildKit answers for a multi-platform export.
     */
    static Map<String, String> of(ExportedImage image, List<String> names) {
        return of(image, names, image.descriptor());
    }

    /**
     * As above, {@code listed} being the descriptor a user is told of the image ({@value Exporters#IMAGE_DESCRIPTOR}),
     * as an archive's index.json lists it.
     */
    static Map<String, String> of(ExportedImage image, List<String> names, Descriptor listed) {
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put(Exporters.IMAGE_DIGEST, image.descriptor().digest().toString());
        facts.put(Exporters.IMAGE_DESCRIPTOR, Base64.getEncoder().encodeToString(listed.toJson()));
        if (image instanceof AssembledImage single) {
            facts.put(
                    Exporters.CONFIG_DIGEST, single.configDescriptor().digest().toString());
        }
        if (!names.isEmpty()) {
            facts.put(Exporters.IMAGE_NAME, String.join(",", names));
        }
        return Map.copyOf(facts);
    }
}
