package dev.kiln.worker.image;

import dev.kiln.core.Digest;
import dev.kiln.core.ImageReference;
import dev.kiln.core.Platform;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.ImageConfig;
import dev.kiln.oci.ImageIndex;
import dev.kiln.oci.ImageManifest;
import dev.kiln.oci.ManifestDocument;
import dev.kiln.oci.MediaTypes;
import dev.kiln.oci.content.BlobWriter;
import dev.kiln.oci.content.ContentStore;
import dev.kiln.oci.registry.FetchedManifest;
import dev.kiln.oci.registry.ResolvedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * An OCI image layout on disk (oci-layout, index.json, blobs/sha256/...), as {@code oci-layout://}
 * sources and {@code docker buildx --build-context name=oci-layout://...} use it: an image is found
 * by the digest of its manifest (or of an index holding it), and every blob read is verified.
 */
public final class OciLayout {

    private final Path root;

    public OciLayout(Path root) {
        this.root = root;
    }

    /**
     * The image {@code digest} names in this layout, for {@code platform} when it is an index.
     * {@code reference} is only what the image is called in messages and results.
     */
    public ResolvedImage resolve(ImageReference reference, Digest digest, Platform platform) throws IOException {
        if (!Files.isRegularFile(root.resolve("oci-layout"))) {
            throw new IOException(root + " is not an OCI image layout (it has no oci-layout file)");
        }
        FetchedManifest top = manifest(digest, null);
        FetchedManifest image = top;
        if (top.document() instanceof ImageIndex index) {
            Descriptor chosen = index.select(platform)
                    .orElseThrow(() -> new IOException("OCI layout " + root + ": index " + digest + " has no image for "
                            + platform + " (it has " + index.platforms() + ")"));
            image = manifest(chosen.digest(), chosen.mediaType());
        }
        Descriptor config = image.manifest().config();
        byte[] configBytes = blob(config.digest());
        return new ResolvedImage(
                reference,
                top,
                image,
                configBytes,
                ImageConfig.parse(configBytes, "config " + config.digest() + " in " + root));
    }

    /** Copies the image's layers into {@code content} (verified on write), so unpacking needs no registry. */
    public void importLayers(ResolvedImage image, ContentStore content) throws IOException {
        for (Descriptor layer : image.layers()) {
            if (content.exists(layer.digest())) {
                continue;
            }
            try (InputStream in = Files.newInputStream(blobPath(layer.digest()));
                    BlobWriter writer = content.writer(layer.digest(), layer.size())) {
                in.transferTo(writer);
                writer.commit();
            }
        }
    }

    private FetchedManifest manifest(Digest digest, String mediaType) throws IOException {
        byte[] bytes = blob(digest);
        ManifestDocument document = ManifestDocument.parse(bytes, mediaType, "manifest " + digest + " in " + root);
        String type = switch (document) {
            case ImageIndex index -> mediaType != null ? mediaType : MediaTypes.OCI_INDEX;
            case ImageManifest manifest -> mediaType != null ? mediaType : MediaTypes.OCI_MANIFEST;
        };
        return new FetchedManifest(Descriptor.of(type, digest, bytes.length), bytes, document);
    }

    private byte[] blob(Digest digest) throws IOException {
        Path path = blobPath(digest);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new IOException("OCI layout " + root + " has no blob " + digest, e);
        }
        Digest actual = Digest.sha256(bytes);
        if (!actual.equals(digest)) {
            throw new IOException("OCI layout " + root + ": blob " + digest + " holds content with digest " + actual);
        }
        return bytes;
    }

    private Path blobPath(Digest digest) {
        return root.resolve("blobs").resolve(digest.algorithm()).resolve(digest.hex());
    }
}
