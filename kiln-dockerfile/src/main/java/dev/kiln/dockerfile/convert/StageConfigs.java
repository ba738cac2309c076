package dev.kiln.dockerfile.convert;

import dev.kiln.core.Platform;
import dev.kiln.oci.ContainerConfig;
import dev.kiln.oci.History;
import dev.kiln.oci.ImageConfig;
import dev.kiln.oci.OciFormatException;
import dev.kiln.oci.RootFs;
import java.util.List;

/**
 * The image configs a stage starts from, as BuildKit's frontend makes them: scratch's, and a base image's read
 * from its JSON. The stage then changes its config instruction by instruction (see {@link StageState}) and the
 * frontend writes it with {@link ImageConfig#toDockerOciImageJson()}.
 */
public final class StageConfigs {

    /** The comment of every history entry an instruction adds, as BuildKit writes it. */
    static final String HISTORY_COMMENT = "buildkit.dockerfile.v0";

    /** The config of a stage before its base is known: no platform, nothing set, layers not listed. */
    static final ImageConfig BLANK = ImageConfig.empty(Platform.of("", "")).withRootFs(RootFs.unlisted());

    private StageConfigs() {}

    /** The config of {@code scratch}: a platform, working directory "/", and the default PATH. */
    static ImageConfig scratch(Platform platform) {
        ContainerConfig config = ContainerConfig.EMPTY.withWorkingDir("/");
        if (!platform.os().equals("windows")) {
            config = config.withEnv(List.of("PATH=" + Platforms.defaultPath(platform.os())));
        }
        return ImageConfig.empty(platform).withRootFs(RootFs.unlisted()).withConfig(config);
    }

    /**
     * Reads a base image's config. Fields Kiln does not model (container, docker_version, ...) are dropped, as
     * BuildKit's frontend drops them; the creation time is dropped too, since the new image gets its own.
     *
     * @param document what is read, for the message of the exception, e.g. "image config for busybox"
     * @throws OciFormatException naming the document and the field that cannot be read
     */
    public static ImageConfig parse(byte[] json, String document) {
        return ImageConfig.parseDockerOciImage(json, document).withCreated(null);
    }

    /** A history entry of an instruction; {@code withLayer} false for instructions that change only the config. */
    static History step(String createdBy, boolean withLayer) {
        return History.of(null, createdBy, HISTORY_COMMENT, !withLayer);
    }

    /** An image has layers unless its config lists none and every history entry is an empty layer. */
    static boolean hasNoLayers(ImageConfig image) {
        return image.rootfs().diffIds().isEmpty() && image.history().stream().allMatch(History::emptyLayer);
    }

    static String envKey(String entry) {
        int eq = entry.indexOf('=');
        return eq < 0 ? entry : entry.substring(0, eq);
    }

    static String envValue(String entry) {
        int eq = entry.indexOf('=');
        return eq < 0 ? "" : entry.substring(eq + 1);
    }
}
