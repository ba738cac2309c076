package dev.kiln.engine.export;

import java.io.OutputStream;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What a build's command line gives each of its outputs besides the output's own attributes, as docker build does.
 *
 * @param stdout          where {@code dest=-} writes
 * @param names           the {@code -t} names: an image output without {@code name=} takes them
 * @param push            {@code --push}: an image output pushes
 * @param sourceDateEpoch SOURCE_DATE_EPOCH from a build argument or the environment, used when an image output has
 *                        no {@code source-date-epoch=}
 * @param imageAttributes attributes an image output takes where it does not set them itself ({@code --annotation}
 *                        as {@code annotation.KEY}); other outputs have no use for them
 */
public record ExportDefaults(
        OutputStream stdout,
        List<String> names,
        boolean push,
        Optional<String> sourceDateEpoch,
        Map<String, String> imageAttributes) {

    public ExportDefaults {
        Objects.requireNonNull(stdout, "stdout");
        names = List.copyOf(names);
        Objects.requireNonNull(sourceDateEpoch, "sourceDateEpoch");
        imageAttributes = Map.copyOf(imageAttributes);
    }
}
