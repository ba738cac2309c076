package dev.kiln.oci;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The index.json of an OCI image layout's directory, which names manifests under tags, read and written as BuildKit's
 * client/ociindex does: a tag is the manifest's {@code org.opencontainers.image.ref.name}; a lookup also takes
 * containerd's image name. A type=local cache is such a directory, whether the engine writes it (direct access, the
 * embedded engine) or a daemon's client does after a build through its session.
 */
public record LayoutIndex(Path dir) {

    public static final String REF_NAME = "org.opencontainers.image.ref.name";
    public static final String IMAGE_NAME = "io.containerd.image.name";

    public Path file() {
        return dir.resolve("index.json");
    }

    public boolean exists() {
        return Files.isRegularFile(file());
    }

    /** The manifest under {@code tag}: the one of that image name, else of that ref name; empty when none. */
    public Optional<Descriptor> manifest(String tag) throws IOException {
        List<Descriptor> manifests = read().manifests();
        return manifests.stream()
                .filter(entry -> tag.equals(entry.annotations().get(IMAGE_NAME)))
                .findFirst()
                .or(() -> manifests.stream()
                        .filter(entry -> tag.equals(entry.annotations().get(REF_NAME)))
                        .findFirst());
    }

    /** The tags the index has, for a message that names what there is instead. */
    public List<String> tags() throws IOException {
        return read().manifests().stream()
                .map(entry -> entry.annotations().get(REF_NAME))
                .filter(Objects::nonNull)
                .toList();
    }

    /**
     * Names {@code manifest} under {@code tag}, in place of the entry that had the tag, keeping the others; makes the
     * directory an OCI layout (its {@code oci-layout} file) if it is none yet. index.json is replaced atomically.
     */
    public void put(Descriptor manifest, String tag) throws IOException {
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

    /**
     * {@code target} with {@code bytes}, on disk before a rename puts them in place, so a reader (or a machine that
     * lost power) sees the old file or the new one.
     */
    private static void replace(Path target, byte[] bytes) throws IOException {
        Path partial = target.resolveSibling("." + target.getFileName() + "-" + UUID.randomUUID());
        try {
            Files.write(partial, bytes);
            try (FileChannel channel = FileChannel.open(partial, StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(partial);
        }
    }
}
