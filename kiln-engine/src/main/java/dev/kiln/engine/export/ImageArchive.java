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
import dev.kiln.oci.content.ContentStore;
import dev.kiln.solver.ProgressListener;
import dev.kiln.worker.Worker;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * An assembled image as one tar: an OCI image layout ({@code oci-layout}, {@code index.json}, {@code blobs/sha256/}),
 * and for {@code docker load} and skopeo's {@code docker-archive:} also Docker's {@code manifest.json}, whose Config
 * and Layers point into the same blobs. Entries come in a fixed order with a fixed time (SOURCE_DATE_EPOCH, else
 * 1970), so the same image gives the same archive.
 */
final class ImageArchive {

    /** The tag of a name in an OCI layout, as containerd and BuildKit write it; the full name goes beside it. */
    static final String REF_NAME = "org.opencontainers.image.ref.name";

    static final String IMAGE_NAME = "io.containerd.image.name";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final TarArchiveOutputStream tar;
    private final FileTime time;

    private ImageArchive(OutputStream out, Instant time) {
        this.tar = new TarArchiveOutputStream(out, "UTF-8");
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        this.time = FileTime.from(time);
    }

    /** Archive entries carry SOURCE_DATE_EPOCH when given, else the Unix epoch: never the time of the export. */
    static Instant entryTime(ImageOptions options) {
        return options.sourceDateEpoch().orElse(Instant.EPOCH);
    }

    /** How an archive format writes an image: {@link #writeOci} or {@link #writeDocker}. */
    @FunctionalInterface
    interface Format {
        void write(
                ExportedImage image, List<ImageReference> names, ContentStore content, OutputStream out, Instant time)
                throws IOException;
    }

    /**
     * What {@code type=oci} and {@code type=docker} share: the image assembled from the result, written in
     * {@code format} as one tar to the archive's destination, as one progress step "exporting to NAME image
     * format"; answers the image's facts.
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
            List<ImageReference> references =
                    names.stream().map(ImageReference::parseNormalized).toList();
            log.line("sending tarball");
            ArchiveFiles.write(
                    archive.destination(),
                    out -> format.writer()
                            .write(made, references, worker.images().content(), out, entryTime(options)));
            return ImageFacts.of(made, names);
        });
    }

    /** Writes the OCI layout of {@code image} to {@code out}, which stays open. */
    static void writeOci(
            ExportedImage image, List<ImageReference> names, ContentStore content, OutputStream out, Instant time)
            throws IOException {
        ImageArchive archive = new ImageArchive(out, time);
        archive.layout(image, names, content);
        archive.finish();
    }

    /** Writes the Docker archive (also an OCI layout) of {@code image} to {@code out}, which stays open. */
    static void writeDocker(
            ExportedImage image, List<ImageReference> names, ContentStore content, OutputStream out, Instant time)
            throws IOException {
        ImageArchive archive = new ImageArchive(out, time);
        archive.layout(image, names, content);
        archive.file("manifest.json", dockerManifest(image, names));
        archive.finish();
    }

    /** The layout: each image's layers, config and manifest, then an index of them when there are several. */
    private void layout(ExportedImage image, List<ImageReference> names, ContentStore content) throws IOException {
        file("oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8));
        directory("blobs/");
        directory("blobs/sha256/");
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
        file("index.json", index(image.descriptor(), names).toJson());
    }

    /** One entry per name, each tagged; an unnamed image is listed once, untagged. */
    private static ImageIndex index(Descriptor image, List<ImageReference> names) {
        List<Descriptor> manifests = new ArrayList<>();
        for (ImageReference name : names) {
            ImageReference tagged = name.withDefaultTag();
            manifests.add(image.withAnnotations(Map.of(IMAGE_NAME, tagged.toString(), REF_NAME, tagged.tag())));
        }
        if (manifests.isEmpty()) {
            manifests.add(image);
        }
        return ImageIndex.oci(manifests);
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

    private void file(String name, byte[] content) throws IOException {
        TarArchiveEntry entry = entry(name, TarConstants.LF_NORMAL, 0644);
        entry.setSize(content.length);
        tar.putArchiveEntry(entry);
        tar.write(content);
        tar.closeArchiveEntry();
    }

    private void directory(String name) throws IOException {
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

    private void finish() throws IOException {
        tar.finish();
        tar.flush();
    }
}
