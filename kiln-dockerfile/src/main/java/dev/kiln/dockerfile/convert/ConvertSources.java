package dev.kiln.dockerfile.convert;

import dev.kiln.core.Platform;
import dev.kiln.llb.State;
import dev.kiln.oci.ImageConfig;
import java.util.List;
import java.util.Optional;

/**
 * Where a conversion gets what is outside the Dockerfile: the build context, named contexts and image
 * configs. The frontend implements it on the gateway client; failures are unchecked exceptions whose message
 * the converter reports at the instruction that needed the source.
 */
public interface ConvertSources {

    /**
     * The named context given for {@code name} (a stage name, or an image reference in its short form such
     * as "busybox" or "alpine:3.20"), if the build was given one.
     */
    Optional<NamedContext> namedContext(String name, Platform platform);

    /** Resolves an image reference to its config; the reference comes back pinned when the registry says so. */
    ResolvedImage resolveImageConfig(String reference, Platform platform, String logName) throws InterruptedException;

    /** The build context, limited to {@code followPaths} (empty: all of it), with .dockerignore applied. */
    State mainContext(List<String> followPaths);

    /** A named context: its filesystem and, for images, its config. */
    interface NamedContext {
        Loaded load() throws InterruptedException;
    }

    /** @param image the context's image config, or null for contexts that are not images */
    record Loaded(State state, ImageConfig image) {}

    /** @param digest the manifest digest the reference resolved to, or "" */
    record ResolvedImage(String reference, String digest, byte[] config) {}
}
