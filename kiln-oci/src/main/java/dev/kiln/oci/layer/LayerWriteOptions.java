package dev.kiln.oci.layer;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * How a layer tar is written: its compression, and the time later mtimes are clamped to (SOURCE_DATE_EPOCH) so
 * the same files give the same blob whenever they are written.
 */
public record LayerWriteOptions(LayerCompression compression, Optional<Instant> clamp) {

    public LayerWriteOptions {
        Objects.requireNonNull(compression, "compression");
        Objects.requireNonNull(clamp, "clamp");
    }

    /** gzip, mtimes as they are: what an image layer is by default. */
    public static LayerWriteOptions defaults() {
        return new LayerWriteOptions(LayerCompression.GZIP, Optional.empty());
    }

    public LayerWriteOptions withCompression(LayerCompression newCompression) {
        return new LayerWriteOptions(newCompression, clamp);
    }

    public LayerWriteOptions withClamp(Instant sourceDateEpoch) {
        return new LayerWriteOptions(compression, Optional.of(sourceDateEpoch));
    }
}
