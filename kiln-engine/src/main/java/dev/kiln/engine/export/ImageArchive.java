package dev.kiln.engine.export;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.core.Digest;
import dev.kiln.core.ImageReference;
import dev.kiln.engine.attest.AttestationManifest;
import dev.kiln.gateway.Result;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.ImageIndex;
import dev.kiln.oci.LayoutIndex;
import dev.kiln.oci.content.ContentStore;
import dev.kiln.solver.ProgressListener;
import dev.kiln.worker.ClientContentStore;
import dev.kiln.worker.Worker;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * An assembled image as an OCI image layout ({@code oci-layout}, {@code index.json}, {@code blobs/sha256/}): one tar,
 * for {@code docker load} and skopeo's {@code docker-archive:} also with Docker's {@code manifest.json}, whose Config
 * and Layers point into the same blobs; or, with {@code tar=false} as in BuildKit, a directory. Tar entries come in a
 * fixed order with a fixed time (SOURCE_DATE_EPOCH, else 1970).
 */
final class ImageArchive {

    /** When the image listed in index.json was made, as buildkitd's oci and docker exporters write it. */
    static final String CREATED = "org.opencontainers.image.created";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final LayoutEntries entries;

    private ImageArchive(LayoutEntries entries) {
        this.entries = entries;
    }

    /** Archive entries carry SOURCE_DATE_EPOCH when given, else the Unix epoch: never the time of the export. */
    static Instant entryTime(ImageOptions options) {
        return options.sourceDateEpoch().orElse(Instant.EPOCH);
    }

    /** How an archive format writes an image: {@link #writeOci} or {@link #writeDocker}. */
    @FunctionalInterface
    interface Format {
        void write(ListedImage image, List<ImageReference> names, ContentStore content, OutputStream out, Instant time)
                throws IOException;
    }

    /**
     * An image as index.json lists it: its blobs, under a descriptor that, as buildkitd's, has the platform of a
     * single image and the time it was made.
     */
    record ListedImage(ExportedImage image, Descriptor descriptor) {

        static ListedImage of(ExportedImage image, ImageOptions options, Instant now) {
            Descriptor descriptor = image.descriptor();
            if (image instanceof AssembledImage single && single.config().platform() != null) {
                descriptor = descriptor.withPlatform(single.config().platform().normalize());
            }
            Map<String, String> annotations = new TreeMap<>(descriptor.annotations());
            Instant created = options.sourceDateEpoch().orElse(now.truncatedTo(ChronoUnit.SECONDS));
            annotations.putIfAbsent(CREATED, DateTimeFormatter.ISO_INSTANT.format(created));
            return new ListedImage(image, descriptor.withAnnotations(annotations));
        }
    }

    /**
     * What {@code type=oci} and {@code type=docker} share: the image assembled from the result, written in
     * {@code format} as one tar to the archive's destination (or as a layout directory), as one progress step
     * "exporting to NAME image format"; answers the image's facts.
     */
    static Map<String, String> export(
            Result result,
            Worker worker,
            ProgressListener progress,
            ImageArchiveFormat format,
            ExportTarget.ImageArchiveTarget archive)
            throws IOException, InterruptedException {
        List<String> names = archive.names();
        ImageOptions options = archive.options();
        return ExportLog.run(progress, "exporting to " + format.typeName() + " image format", log -> {
            ExportedImage made = ImageAssembler.assembleAll(result, worker, options, log, InlineCache.NONE, names);
            ListedImage listed = ListedImage.of(made, options, Instant.now());
            List<ImageReference> references =
                    names.stream().map(ImageReference::parseNormalized).toList();
            ContentStore content = worker.images().content();
            // BuildKit's tar=false writes the layout's content store only, for docker too: no manifest.json.
            if (archive.destination() instanceof ArchiveDestination.ToDirectory(Path dir)) {
                log.line("writing the OCI layout to " + dir);
                new ImageArchive(new DirectoryEntries(dir)).layout(listed, references, content);
            } else if (archive.destination() instanceof ArchiveDestination.ToClientStore(ClientContentStore store)) {
                log.line("sending the image's blobs to the client's OCI layout");
                new ImageArchive(new ClientStoreEntries(store)).layout(listed, references, content);
            } else {
                log.line("sending tarball");
                ArchiveFiles.write(
                        archive.destination(),
                        out -> format.writer().write(listed, references, content, out, entryTime(options)));
            }
            // as BuildKit's oci and docker exporters answer them: full, tagged names, which a client's index lists
            List<String> listedNames = references.stream()
                    .map(reference -> reference.withDefaultTag().toString())
                    .toList();
            return ImageFacts.of(made, listedNames, listed.descriptor());
        });
    }

    /** Writes the OCI layout of {@code image} to {@code out}, which stays open. */
    static void writeOci(
            ListedImage image, List<ImageReference> names, ContentStore content, OutputStream out, Instant time)
            throws IOException {
        TarEntries tar = new TarEntries(out, time);
        new ImageArchive(tar).layout(image, names, content);
        tar.finish();
    }

    /** Writes the Docker archive (also an OCI layout) of {@code image} to {@code out}, which stays open. */
    static void writeDocker(
            ListedImage image, List<ImageReference> names, ContentStore content, OutputStream out, Instant time)
            throws IOException {
        TarEntries tar = new TarEntries(out, time);
        new ImageArchive(tar).layout(image, names, content);
        tar.file("manifest.json", dockerManifest(image.image(), names));
        tar.finish();
    }

    /** The layout: each image's layers, config and manifest, then an index of them when there are several. */
    private void layout(ListedImage listed, List<ImageReference> names, ContentStore content) throws IOException {
        ExportedImage image = listed.image();
        entries.file("oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8));
        entries.directory("blobs/");
        entries.directory("blobs/sha256/");
        Set<Digest> written = new LinkedHashSet<>();
        for (AssembledImage each : image.images()) {
            for (ImageLayer layer : each.layers()) {
                blob(layer.blob().descriptor().digest(), content, written);
            }
            blob(each.configDescriptor().digest(), content, written);
            blob(each.manifestDescriptor().digest(), content, written);
        }
        if (image instanceof AssembledIndex index) {
            for (AttestationManifest attestation : index.attestations()) {
                for (Descriptor layer : attestation.layers()) {
                    blob(layer.digest(), content, written);
                }
                blob(attestation.config().digest(), content, written);
                blob(attestation.descriptor().digest(), content, written);
            }
            blob(index.indexDescriptor().digest(), content, written);
        }
        entries.index(listed.descriptor(), names);
    }

    /** One entry per name, each tagged; an unnamed image is listed once, untagged. */
    private static ImageIndex index(Descriptor image, List<ImageReference> names) {
        List<Descriptor> manifests =
                layoutNames(names).stream().map(name -> name.on(image)).toList();
        return ImageIndex.oci(manifests.isEmpty() ? List.of(image) : manifests);
    }

    /** Each name with its tag (latest when it has none), as the image's full name and the ref name of the tag. */
    private static List<LayoutIndex.Name> layoutNames(List<ImageReference> names) {
        return names.stream().map(LayoutIndex.Name::of).toList();
    }

    /**
     * Docker's manifest.json: an entry per image. Of a multi-platform export only the first platform's entry carries
     * the names, since {@code docker load} of this file gives a name to one image only.
     */
    private static byte[] dockerManifest(ExportedImage image, List<ImageReference> names) throws IOException {
        ArrayNode manifest = JSON.createArrayNode();
        for (AssembledImage each : image.images()) {
            ObjectNode entry = JSON.createObjectNode();
            entry.put("Config", blobPath(each.configDescriptor().digest()));
            ArrayNode tags = entry.putArray("RepoTags");
            if (manifest.isEmpty()) {
                for (ImageReference name : names) {
                    tags.add(dockerName(name.withDefaultTag()));
                }
            }
            ArrayNode layers = entry.putArray("Layers");
            for (ImageLayer layer : each.layers()) {
                layers.add(blobPath(layer.blob().descriptor().digest()));
            }
            manifest.add(entry);
        }
        return JSON.writeValueAsBytes(manifest);
    }

    /** Docker's short form: docker.io/library/x:1 is "x:1", as docker save writes RepoTags. */
    private static String dockerName(ImageReference name) {
        String repository = name.name();
        if (repository.startsWith("docker.io/library/")) {
            repository = repository.substring("docker.io/library/".length());
        } else if (repository.startsWith("docker.io/")) {
            repository = repository.substring("docker.io/".length());
        }
        return repository + ":" + name.tag();
    }

    private static String blobPath(Digest digest) {
        return "blobs/" + digest.algorithm() + "/" + digest.hex();
    }

    private void blob(Digest digest, ContentStore content, Set<Digest> written) throws IOException {
        if (!written.add(digest)) {
            return;
        }
        long size = content.info(digest)
                .orElseThrow(() -> new IOException(
                        "blob " + digest + " of the image is missing from the content store at " + content.root()))
                .size();
        entries.blob(digest, size, content);
    }

    /**
     * Where a layout's entries go: one tar ({@link TarEntries}), a directory ({@link DirectoryEntries}), or the
     * content store a daemon's client serves for its directory ({@link ClientStoreEntries}).
     */
    private interface LayoutEntries {
        void file(String name, byte[] content) throws IOException;

        /** index.json, which lists {@code image} under {@code names}; written after every blob. */
        void index(Descriptor image, List<ImageReference> names) throws IOException;

        void directory(String name) throws IOException;

        /** The blob {@code digest} of {@code size} bytes, read from {@code content} when it is to be written. */
        void blob(Digest digest, long size, ContentStore content) throws IOException;
    }

    /** The layout as tar entries, each with the same time and owner, so the same image gives the same bytes. */
    private static final class TarEntries implements LayoutEntries {

        private final TarArchiveOutputStream tar;
        private final FileTime time;

        TarEntries(OutputStream out, Instant time) {
            this.tar = new TarArchiveOutputStream(out, "UTF-8");
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            this.time = FileTime.from(time);
        }

        @Override
        public void blob(Digest digest, long size, ContentStore content) throws IOException {
            TarArchiveEntry entry = entry(blobPath(digest), TarConstants.LF_NORMAL, 0644);
            entry.setSize(size);
            tar.putArchiveEntry(entry);
            try (InputStream in = content.open(digest)) {
                long copied = in.transferTo(tar);
                if (copied != size) {
                    throw new IOException("blob " + digest + " changed size while it was archived");
                }
            }
            tar.closeArchiveEntry();
        }

        @Override
        public void file(String name, byte[] content) throws IOException {
            TarArchiveEntry entry = entry(name, TarConstants.LF_NORMAL, 0644);
            entry.setSize(content.length);
            tar.putArchiveEntry(entry);
            tar.write(content);
            tar.closeArchiveEntry();
        }

        @Override
        public void index(Descriptor image, List<ImageReference> names) throws IOException {
            file("index.json", ImageArchive.index(image, names).toJson());
        }

        @Override
        public void directory(String name) throws IOException {
            tar.putArchiveEntry(entry(name, TarConstants.LF_DIR, 0755));
            tar.closeArchiveEntry();
        }

        private TarArchiveEntry entry(String name, byte type, int mode) {
            TarArchiveEntry entry = new TarArchiveEntry(name, type);
            entry.setMode(mode);
            entry.setModTime(time);
            entry.setUserId(0);
            entry.setGroupId(0);
            entry.setUserName(""); // commons-compress would put this process's user here
            entry.setGroupName("");
            return entry;
        }

        void finish() throws IOException {
            tar.finish();
            tar.flush();
        }
    }

    /**
     * The layout as files under a directory ({@code tar=false}), which may hold other images already, as BuildKit's
     * client keeps them. A blob already there is kept: its name is its digest. Every file is written whole or not at
     * all. index.json, written last, keeps the images listed under other names and lists this one under each of its
     * names, or under the tag "latest" when it has none (BuildKit's default), so an unnamed image replaces the last
     * unnamed one instead of piling up.
     */
    private record DirectoryEntries(Path root) implements LayoutEntries {

        @Override
        public void index(Descriptor image, List<ImageReference> names) throws IOException {
            new LayoutIndex(root)
                    .put(image, names.isEmpty() ? List.of(LayoutIndex.Name.tag("latest")) : layoutNames(names));
        }

        @Override
        public void blob(Digest digest, long size, ContentStore content) throws IOException {
            Path path = root.resolve(blobPath(digest));
            if (Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS) && Files.size(path) == size) {
                return;
            }
            ArchiveFiles.write(new ArchiveDestination.ToFile(path), out -> {
                try (InputStream in = content.open(digest)) {
                    if (in.transferTo(out) != size) {
                        throw new IOException("blob " + digest + " changed size while it was written to " + root);
                    }
                }
            });
        }

        @Override
        public void file(String name, byte[] content) throws IOException {
            ArchiveFiles.write(new ArchiveDestination.ToFile(root.resolve(name)), out -> out.write(content));
        }

        @Override
        public void directory(String name) throws IOException {
            Path path = root.resolve(name);
            if (Files.exists(path, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
                throw new IOException("cannot write the OCI layout to " + root + ": " + path + " is not a directory");
            }
            Files.createDirectories(path);
        }
    }

    /**
     * The layout's blobs sent to the content store a daemon's client serves for its directory, each unless the store
     * has it; the client writes oci-layout and index.json itself, from the export's answer, as BuildKit's does.
     */
    private record ClientStoreEntries(ClientContentStore store) implements LayoutEntries {

        @Override
        public void blob(Digest digest, long size, ContentStore content) throws IOException {
            if (!store.has(digest)) {
                store.write(digest, content.blobPath(digest));
            }
        }

        @Override
        public void file(String name, byte[] content) {}

        @Override
        public void directory(String name) {}

        @Override
        public void index(Descriptor image, List<ImageReference> names) {}
    }
}
