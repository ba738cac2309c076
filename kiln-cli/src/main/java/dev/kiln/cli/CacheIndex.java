package dev.kiln.cli;

import dev.kiln.oci.Descriptor;
import dev.kiln.oci.ImageIndex;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The index.json of a type=local cache's directory at this client's end, which names each exported cache manifest
 * under its tag, read and written as BuildKit's client does (client/ociindex): a tag is the manifest's
 * {@code org.opencontainers.image.ref.name}; a lookup also takes containerd's image name.
 */
record CacheIndex(Path dir) {

    static final String REF_NAME = "org.opencontainers.image.ref.name";
    static final String IMAGE_NAME = "io.containerd.image.name";

    Path file() {
        return dir.resolve("index.json");
    }

    boolean exists() {
        return Files.isRegularFile(file());
    }

    /** The manifest under {@code tag}: the one of that image name, else of that ref name; empty when none. */
    Optional<Descriptor> manifest(String tag) throws IOException {
        List<Descriptor> manifests = read().manifests();
        return manifests.stream()
                .filter(entry -> tag.equals(entry.annotations().get(IMAGE_NAME)))
                .findFirst()
                .or(() -> manifests.stream()
                        .filter(entry -> tag.equals(entry.annotations().get(REF_NAME)))
                        .findFirst());
    }

    /** The tags the index has, for a message that names what there is instead. */
    List<String> tags() throws IOException {
        return read().manifests().stream()
                .map(entry -> entry.annotations().get(REF_NAME))
                .filter(Objects::nonNull)
                .toList();
    }

    /**
     * Names {@code manifest} under {@code tag}, in place of the entry that had the tag, keeping the others; makes the
     * directory an OCI layout (its {@code oci-layout} file) if it is none yet. index.json is replaced atomically.
     */
    void put(Descriptor manifest, String tag) throws IOException {
        List<Descriptor> kept = exists()
                ? read().manifests().stream()
                        .filter(entry -> !tag.equals(entry.annotations().get(REF_NAME))
                                || entry.annotations().containsKey(IMAGE_NAME))
                        .toList()
                : List.of();
        Map<String, String> annotations = new LinkedHashMap<>(manifest.annotations());
        annotations.put(REF_NAME, tag);
        Path layout = dir.resolve("oci-layout");
        if (!Files.exists(layout)) {
            replace(layout, "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8));
        }
        replace(
                file(),
                ImageIndex.oci(Stream.concat(kept.stream(), Stream.of(manifest.withAnnotations(annotations)))
                                .toList())
                        .toJson());
    }

    /** The index; an IOException naming the file when it cannot be read or is no OCI index. */
    private ImageIndex read() throws IOException {
        byte[] json = Files.readAllBytes(file());
        try {
            return ImageIndex.parse(json, file().toString());
        } catch (IllegalArgumentException malformed) {
            throw new IOException(file() + " is not an OCI image index: " + malformed.getMessage(), malformed);
        }
    }

    /** {@code target} with {@code bytes}, by a rename, so a reader sees the old file or the new one. */
    private static void replace(Path target, byte[] bytes) throws IOException {
        Path partial = target.resolveSibling("." + target.getFileName() + "-" + UUID.randomUUID());
        try {
            Files.write(partial, bytes);
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(partial);
        }
    }
}
