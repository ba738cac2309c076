package dev.kiln.oci.registry;

import dev.kiln.core.ImageReference;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.ImageConfig;
import dev.kiln.oci.ImageIndex;
import dev.kiln.oci.ImageManifest;
import java.util.List;
import java.util.Optional;

/**
 * An image reference resolved for one platform: what the reference points at (an index or the manifest itself),
 * the platform's manifest, and its config.
 *
 * @param reference the reference that was resolved (with the default tag filled in)
 * @param root what the reference points at; the same as {@code image} when it is not an index
 * @param image the image manifest for the platform
 * @param configBytes the config's exact bytes (verified against the manifest's config digest; not to be modified)
 * @param config the parsed config
 */
public record ResolvedImage(
        ImageReference reference, FetchedManifest root, FetchedManifest image, byte[] configBytes, ImageConfig config) {

    public ImageManifest manifest() {
        return image.manifest();
    }

    public Descriptor configDescriptor() {
        return manifest().config();
    }

    public List<Descriptor> layers() {
        return manifest().layers();
    }

    /** The index the platform's manifest was chosen from, when the reference named one. */
    public Optional<ImageIndex> index() {
        return root.document() instanceof ImageIndex index ? Optional.of(index) : Optional.empty();
    }

    /** The reference pinned to the digest of what it resolved to (the index when there is one). */
    public ImageReference pinned() {
        return new ImageReference(
                reference.domain(),
                reference.path(),
                reference.tag(),
                root.descriptor().digest().toString());
    }
}
