package dev.kiln.llb;

import dev.kiln.core.Digest;
import java.util.Objects;

/** An option of {@link State#image}. Use {@link OpOption#platform} to pick the image's platform. */
public sealed interface ImageOption
        permits ImageOption.ResolveMode,
                ImageOption.LayerLimit,
                ImageOption.Checksum,
                ImageOption.RecordType,
                OpOption {

    /** Keeps only the first {@code layers} layers of the image. */
    static ImageOption layerLimit(int layers) {
        return new LayerLimit(layers);
    }

    /** The manifest digest the resolved image must have. */
    static ImageOption checksum(Digest digest) {
        return new Checksum(digest);
    }

    /** Marks the image as internal to the build (not recorded as a build input). */
    static ImageOption markInternal() {
        return new RecordType("internal");
    }

    /** Where the image comes from when the worker already has a copy. */
    enum ResolveMode implements ImageOption {
        DEFAULT("default"),
        /** Always ask the registry. */
        FORCE_PULL("pull"),
        /** Use the local copy when there is one. */
        PREFER_LOCAL("local");

        private final String attr;

        ResolveMode(String attr) {
            this.attr = attr;
        }

        String attr() {
            return attr;
        }
    }

    record LayerLimit(int layers) implements ImageOption {
        public LayerLimit {
            if (layers < 0) {
                throw new IllegalArgumentException("layer limit must be >= 0, not " + layers);
            }
        }
    }

    record Checksum(Digest digest) implements ImageOption {
        public Checksum {
            Objects.requireNonNull(digest, "digest");
        }
    }

    record RecordType(String type) implements ImageOption {
        public RecordType {
            Objects.requireNonNull(type, "type");
        }
    }
}
