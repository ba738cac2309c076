package dev.kiln.llb;

import dev.kiln.core.Platform;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Options any op takes: its metadata (name, cache behaviour, progress group, source location),
 * which stays outside the op's digest, and its platform and worker constraints, which do not.
 */
public sealed interface OpOption extends RunOption, LocalOption, ImageOption, GitOption, HttpOption, OciLayoutOption
        permits OpOption.Description,
                OpOption.IgnoreCache,
                OpOption.ExportCache,
                OpOption.ProgressGroup,
                OpOption.PlatformConstraint,
                OpOption.Require,
                SourceLocation {

    /** The name progress output shows for the op instead of a summary of it. */
    static OpOption customName(String name) {
        return new Description(Map.of(LlbVertex.CUSTOM_NAME, name));
    }

    /** Free-form text fields kept with the op (BuildKit's {@code llb.customname} is one). */
    static OpOption description(Map<String, String> fields) {
        return new Description(fields);
    }

    /** Runs the op even when a cached result exists. */
    static OpOption ignoreCache() {
        return new IgnoreCache();
    }

    /** Forces (true) or prevents (false) exporting this op's result with the build cache. */
    static OpOption exportCache(boolean export) {
        return new ExportCache(export);
    }

    static OpOption progressGroup(String id, String name, boolean weak) {
        return new ProgressGroup(id, name, weak);
    }

    /** The platform of this op, overriding the state's and the marshal default. */
    static OpOption platform(Platform platform) {
        return new PlatformConstraint(platform);
    }

    /** Worker constraints (containerd-style filters) the op needs. */
    static OpOption require(String... filters) {
        return new Require(List.of(filters));
    }

    record Description(Map<String, String> fields) implements OpOption {
        public Description {
            fields = Map.copyOf(fields);
        }
    }

    record IgnoreCache() implements OpOption {}

    record ExportCache(boolean export) implements OpOption {}

    record ProgressGroup(String id, String name, boolean weak) implements OpOption {
        public ProgressGroup {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(name, "name");
        }
    }

    /** Kept as given, not normalised: BuildKit's client writes a platform constraint verbatim. */
    record PlatformConstraint(Platform platform) implements OpOption {
        public PlatformConstraint {
            Objects.requireNonNull(platform, "platform");
        }
    }

    record Require(List<String> filters) implements OpOption {
        public Require {
            filters = List.copyOf(filters);
        }
    }
}
