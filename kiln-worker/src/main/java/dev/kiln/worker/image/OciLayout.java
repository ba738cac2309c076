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
import dev.kiln.worker.ClientContentStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * An OCI image layout, as {@code oci-layout://} sources and {@code docker buildx --build-context
 * name=oci-layout://...} use it: an image is found by the digest of its manifest (or of an index holding it), and
 * every blob read is verified. Its blobs come from a directory on this host (oci-layout, index.json,
 * blobs/sha256/...), or from a content store the client serves through its session, as buildctl's
 * {@code --oci-layout} and buildx serve one when the layout is on their host.
 *
 * @param name  what messages call the layout
 * @param blobs where its blobs come from
 */
public record OciLayout(String name, OciLayout.Blobs blobs) {

    /** Where a layout's blobs are read from. */
    public interface Blobs {

        /** The blob's bytes; a missing blob is an IOException that names it. */
        InputStream open(Digest digest) throws IOException;

        /** Checks what must hold before any blob is read. */
        default void check() throws IOException {}
    }

    /** The layout in {@code root}, a directory on this host. */
    public static OciLayout directory(Path root) {
        return new OciLayout(root.toString(), new Blobs() {
            @Override
            public InputStream open(Digest digest) throws IOException {
                try {
                    return Files.newInputStream(
                            root.resolve("blobs").resolve(digest.algorithm()).resolve(digest.hex()));
                } catch (NoSuchFileException e) {
                    throw new IOException("OCI layout " + root + " has no blob " + digest, e);
                }
            }

            @Override
            public void check() throws IOException {
                if (!Files.isRegularFile(root.resolve("oci-layout"))) {
                    throw new IOException(root + " is not an OCI image layout (it has no oci-layout file)");
                }
            }
        });
    }

    /**
     * The layout the client serves as the content store {@code store}, named {@code name} in messages: the layout
     * stays on the client's host, and only the blobs the image needs cross the session.
     */
    public static OciLayout clientStore(String name, ClientContentStore store) {
        return new OciLayout("store \"" + name + "\" of the client", store::read);
    }

    /**
     * The image {@code digest} names in this layout, for {@code platform} when it is an index.
     * {@code reference} is only what the image is called in messages and results.
     */
    public ResolvedImage resolve(ImageReference reference, Digest digest, Platform platform) throws IOException {
        blobs.check();
        FetchedManifest top = manifest(digest, null);
        FetchedManifest image = top;
        if (top.document() instanceof ImageIndex index) {
            Descriptor chosen = index.select(platform)
                    .orElseThrow(() -> new IOException("OCI layout " + name + ": index " + digest + " has no image for "
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
                ImageConfig.parse(configBytes, "config " + config.digest() + " in " + name));
    }

    /** Copies the image's layers into {@code content} (verified on write), so unpacking needs no registry. */
    public void importLayers(ResolvedImage image, ContentStore content) throws IOException {
        for (Descriptor layer : image.layers()) {
            if (content.exists(layer.digest())) {
                continue;
            }
            try (InputStream in = blobs.open(layer.digest());
                    BlobWriter writer = content.writer(layer.digest(), layer.size())) {
                in.transferTo(writer);
                writer.commit();
            }
        }
    }

    private FetchedManifest manifest(Digest digest, String mediaType) throws IOException {
        byte[] bytes = blob(digest);
        ManifestDocument document = ManifestDocument.parse(bytes, mediaType, "manifest " + digest + " in " + name);
        String type = switch (document) {
            case ImageIndex index -> mediaType != null ? mediaType : MediaTypes.OCI_INDEX;
            case ImageManifest manifest -> mediaType != null ? mediaType : MediaTypes.OCI_MANIFEST;
        };
        return new FetchedManifest(Descriptor.of(type, digest, bytes.length), bytes, document);
    }

    /** The most a manifest, an index or a config may hold: more is not a document any tool writes. */
    private static final int DOCUMENT_LIMIT = 16 << 20;

    private byte[] blob(Digest digest) throws IOException {
        byte[] bytes;
        try (InputStream in = blobs.open(digest)) {
            bytes = in.readNBytes(DOCUMENT_LIMIT + 1);
        }
        if (bytes.length > DOCUMENT_LIMIT) {
            throw new IOException("OCI layout " + name + ": blob " + digest + " is over " + (DOCUMENT_LIMIT >> 20)
                    + " MiB, too large for a manifest, an index or a config");
        }
        Digest actual = Digest.sha256(bytes);
        if (!actual.equals(digest)) {
            throw new IOException("OCI layout " + name + ": blob " + digest + " holds content with digest " + actual);
        }
        return bytes;
    }
}
