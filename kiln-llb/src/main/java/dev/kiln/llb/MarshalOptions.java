package dev.kiln.llb;

import dev.kiln.core.Platform;
import java.util.Objects;

/**
 * How {@link State#marshal} fills in what the graph leaves open.
 *
 * @param defaultPlatform the platform of exec and image ops that neither the op nor its state sets
 * @param localUniqueId written as {@code local.unique} on local sources without a session; BuildKit's
 *     Go client puts a random id there on every marshal, which makes local source digests differ from
 *     run to run. Kiln leaves the attribute out unless given one, so the same graph always has the
 *     same digests.
 */
public record MarshalOptions(Platform defaultPlatform, String localUniqueId) {

    public MarshalOptions {
        Objects.requireNonNull(defaultPlatform, "defaultPlatform");
    }

    /** This machine's platform, no local unique id. */
    public static MarshalOptions defaults() {
        return new MarshalOptions(Platform.current(), null);
    }

    public MarshalOptions withDefaultPlatform(Platform platform) {
        return new MarshalOptions(platform, localUniqueId);
    }

    public MarshalOptions withLocalUniqueId(String id) {
        return new MarshalOptions(defaultPlatform, id);
    }
}
