package dev.kiln.oci;

import dev.kiln.core.ImageReference;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.IntStream;

/**
 * The index.json of an OCI image layout's directory, which names manifests under tags, read and written as BuildKit's
 * client/ociindex does: a tag is the manifest's {@code org.opencontainers.image.ref.name}; a lookup also takes
 * containerd's image name. A type=local cache is such a directory, whether the engine writes it (direct access, the
 * embedded engine) or a daemon's client does after a build through its session.
 */
public record LayoutIndex(Path dir) {

    public static final String REF_NAME = "org.opencontainers.image.ref.name";
    public static final String IMAGE_NAME = "io.containerd.image.name";

    private static final Object[] STRIPES =
            IntStream.range(0, 16).mapToObj(i -> new Object()).toArray();

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
     * How index.json names a manifest, as BuildKit's client/ociindex does: a tag alone ({@code image} empty), or an
     * image's full name with its tag as the ref name.
     */
    public record Name(String image, String ref) {

        public Name {
            Objects.requireNonNull(image, "image");
            Objects.requireNonNull(ref, "ref");
        }

        public static Name tag(String tag) {
            return new Name("", tag);
        }

        /** {@code image}'s full name with its tag ({@code latest} when it has none) as the ref name. */
        public static Name of(ImageReference image) {
            ImageReference tagged = image.withDefaultTag();
            return new Name(tagged.toString(), tagged.tag());
        }

        /** Whether {@code entry} is listed under this name: the same ref name and the same image name, or none. */
        boolean names(Descriptor entry) {
            return ref.equals(entry.annotations().getOrDefault(REF_NAME, ""))
                    && image.equals(entry.annotations().getOrDefault(IMAGE_NAME, ""));
        }

        /** {@code manifest} as index.json lists it under this name; its annotations sorted, as Go writes a map. */
        public Descriptor on(Descriptor manifest) {
            Map<String, String> annotations = new TreeMap<>(manifest.annotations());
            if (!image.isEmpty()) {
                annotations.put(IMAGE_NAME, image);
            }
            annotations.put(REF_NAME, ref);
            return manifest.withAnnotations(annotations);
        }
    }

    /** Names {@code manifest} under {@code tag}: {@link #put(Descriptor, List)} with that tag alone. */
    public void put(Descriptor manifest, String tag) throws IOException {
        put(manifest, List.of(Name.tag(tag)));
    }

    /**
     * Lists {@code manifest} once under each of {@code names}, after the entries the index keeps: those under other
     * names (an entry under one of the names is dropped, as a tag moves to the new manifest). The index's other
     * fields stay. Makes the directory an OCI layout (its {@code oci-layout} file) if it is none yet; index.json is
     * replaced atomically, and two puts to one directory in this process take turns, so neither loses the other's
     * entry (BuildKit's client also locks a file beside index.json; another process's put is not waited for here).
     */
    public void put(Descriptor manifest, List<Name> names) throws IOException {
        if (names.isEmpty()) {
            throw new IllegalArgumentException("a manifest is put into an index under at least one name");
        }
        synchronized (stripe()) {
            ImageIndex before = exists() ? read() : ImageIndex.oci(List.of());
            List<Descriptor> manifests = new ArrayList<>();
            for (Descriptor entry : before.manifests()) {
                if (names.stream().noneMatch(name -> name.names(entry))) {
                    manifests.add(entry);
                }
            }
            for (Name name : names) {
                manifests.add(name.on(manifest));
            }
            Path layout = dir.resolve("oci-layout");
            if (!Files.exists(layout)) {
                replace(layout, "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8));
            }
            replace(
                    file(),
                    new ImageIndex(
                                    before.schemaVersion(),
                                    before.mediaType(),
                                    before.artifactType(),
                                    manifests,
                                    before.subject(),
                                    before.annotations())
                            .toJson());
        }
    }

    /** The lock of this directory's puts: one of a fixed few, so the daemon keeps none per directory it wrote. */
    private Object stripe() {
        return STRIPES[Math.floorMod(dir.toAbsolutePath().normalize().hashCode(), STRIPES.length)];
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
