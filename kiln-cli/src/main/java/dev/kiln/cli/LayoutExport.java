package dev.kiln.cli;

import dev.kiln.core.ImageReference;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.LayoutIndex;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * An oci or docker output with {@code tar=false} when the daemon cannot write its directory itself (no direct
 * access): the daemon sends the image's blobs to the content store this client serves for the directory (the one
 * BuildKit calls "export"), and this client then lists the image in the directory's index.json from the Solve's
 * answer, as buildctl does: under each of its names, or under the tag "latest" when it has none, keeping the images
 * listed under other names.
 */
record LayoutExport(Path dir) {

    /** The exporter facts the listing is read from (the engine's Exporters names them; a client loads no engine). */
    static final String IMAGE_DESCRIPTOR = "containerimage.descriptor";

    static final String IMAGE_NAME = "image.name";

    /** After a build that succeeded: lists the image the daemon answered in the directory's index.json. */
    void record(Map<String, String> response) throws IOException {
        String encoded = response.getOrDefault(IMAGE_DESCRIPTOR, "");
        if (encoded.isEmpty()) {
            throw new IOException("the daemon answered no " + IMAGE_DESCRIPTOR + " for the OCI layout " + dir
                    + ": its index.json cannot list the image");
        }
        Descriptor image;
        try {
            image = Descriptor.parse(Base64.getDecoder().decode(encoded), "the daemon's " + IMAGE_DESCRIPTOR);
        } catch (IllegalArgumentException malformed) {
            throw new IOException(malformed.getMessage(), malformed);
        }
        new LayoutIndex(dir).put(image, names(response.getOrDefault(IMAGE_NAME, "")));
    }

    private static List<LayoutIndex.Name> names(String listed) {
        if (listed.isEmpty()) {
            return List.of(LayoutIndex.Name.tag("latest"));
        }
        return Arrays.stream(listed.split(","))
                .map(name -> LayoutIndex.Name.of(ImageReference.parseNormalized(name)))
                .toList();
    }
}
