package dev.kiln.engine.export;

import dev.kiln.core.Digest;
import dev.kiln.core.Platform;
import dev.kiln.oci.ContainerConfig;
import dev.kiln.oci.History;
import dev.kiln.oci.ImageConfig;
import dev.kiln.oci.OciFormatException;
import dev.kiln.oci.RootFs;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The config of an exported image: the frontend's ({@code containerimage.config}), or an empty one for the host,
 * with the layers' diff IDs, a history whose non-empty entries match the layers one to one, and times that
 * SOURCE_DATE_EPOCH bounds.
 */
final class ImageConfigs {

    /** BuildKit's empty image: the PATH every image gets, and / as working directory. */
    static final String DEFAULT_PATH = "PATH=" + Platform.DEFAULT_UNIX_PATH;
    /** Marks the history entries the exporter made up for layers the frontend's history does not tell of. */
    static final String ADDED_COMMENT = "kiln.exporter.image.v0";

    private ImageConfigs() {}

    /**
     * What a frontend tells of an image's config: the config ({@code containerimage.config}) and the config of the
     * image it was built on ({@code containerimage.base.config}), whose history entries SOURCE_DATE_EPOCH leaves be.
     */
    record FrontendConfigs(Optional<byte[]> config, Optional<byte[]> base) {

        static FrontendConfigs of(Optional<byte[]> config) {
            return new FrontendConfigs(config, Optional.empty());
        }
    }

    /**
     * @param frontendConfig the JSON of the frontend's config, if it gave one
     * @param slots          every layer of the result, in order; the empty ones have no image layer
     * @param now            the time of an image whose config gives none, without SOURCE_DATE_EPOCH
     */
    static ImageConfig assemble(
            Optional<byte[]> frontendConfig, List<ImageLayers.Slot> slots, Optional<Instant> epoch, Instant now)
            throws IOException {
        return assemble(FrontendConfigs.of(frontendConfig), Platform.current(), slots, epoch, now);
    }

    /** As above, an image without the frontend's config being one for {@code platform}. */
    static ImageConfig assemble(
            FrontendConfigs frontend,
            Platform platform,
            List<ImageLayers.Slot> slots,
            Optional<Instant> epoch,
            Instant now)
            throws IOException {
        ImageConfig config =
                frontend.config().isPresent() ? parse(frontend.config().get()) : empty(platform);
        List<ImageLayer> layers =
                slots.stream().flatMap(slot -> slot.layer().stream()).toList();
        List<History> history = matchLayers(config.history(), slots, layers);
        history = fillTimes(history, layers);
        Instant created = config.created();
        if (epoch.isPresent()) {
            history = clamp(history, baseHistory(frontend.base()), epoch.get());
            if (created == null || created.isAfter(epoch.get())) {
                created = epoch.get();
            }
        } else if (created == null) {
            created = history.stream()
                    .map(History::created)
                    .filter(t -> t != null)
                    .reduce((a, b) -> b)
                    .orElse(now);
        }
        List<Digest> diffIds =
                layers.stream().map(layer -> layer.blob().diffId()).toList();
        return config.withRootFs(new RootFs(
                        config.rootfs().type(), diffIds, config.rootfs().unknownFields()))
                .withHistory(history)
                .withCreated(created);
    }

    static ImageConfig empty(Platform platform) {
        return ImageConfig.empty(platform.normalize())
                .withConfig(ContainerConfig.EMPTY.withEnv(List.of(DEFAULT_PATH)).withWorkingDir("/"));
    }

    private static ImageConfig parse(byte[] json) throws IOException {
        try {
            return ImageConfig.parse(json, "the frontend's image config (containerimage.config)");
        } catch (OciFormatException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /**
     * Makes the non-empty history entries as many as the layers. When the history counts every layer of the result,
     * empty ones included, the entries of the empty layers become empty entries; when it counts more, the topmost
     * surplus entries become empty (BuildKit's rule); when fewer, entries are added for the topmost layers.
     */
    private static List<History> matchLayers(
            List<History> history, List<ImageLayers.Slot> slots, List<ImageLayer> layers) {
        long told = history.stream().filter(step -> !step.emptyLayer()).count();
        List<History> matched = new ArrayList<>(history.size() + layers.size());
        if (told == slots.size() && slots.size() != layers.size()) {
            int slot = 0;
            for (History step : history) {
                if (step.emptyLayer()) {
                    matched.add(step);
                } else {
                    matched.add(slots.get(slot++).layer().isPresent() ? step : emptied(step));
                }
            }
            return matched;
        }
        int counted = 0;
        for (History step : history) {
            if (!step.emptyLayer() && counted >= layers.size()) {
                matched.add(emptied(step));
                continue;
            }
            if (!step.emptyLayer()) {
                counted++;
            }
            matched.add(step);
        }
        for (ImageLayer layer : layers.subList(counted, layers.size())) {
            matched.add(History.of(layer.created(), "layer made by kiln", ADDED_COMMENT, false));
        }
        return matched;
    }

    private static History emptied(History step) {
        return new History(step.created(), step.createdBy(), step.author(), step.comment(), true, step.unknownFields());
    }

    /**
     * Entries without a time get one: a layer's entry its layer's time; the others the time of the entry before
     * them, or of the first entry with a time when none is before them.
     */
    private static List<History> fillTimes(List<History> history, List<ImageLayer> layers) {
        List<History> timed = new ArrayList<>(history.size());
        int layer = 0;
        for (History step : history) {
            if (!step.emptyLayer()) {
                if (step.created() == null && layer < layers.size()) {
                    step = withCreated(step, layers.get(layer).created());
                }
                layer++;
            }
            timed.add(step);
        }
        Instant previous = timed.stream()
                .map(History::created)
                .filter(t -> t != null)
                .findFirst()
                .orElse(null);
        for (int i = 0; i < timed.size(); i++) {
            History step = timed.get(i);
            if (step.created() == null) {
                timed.set(i, withCreated(step, previous));
            } else {
                previous = step.created();
            }
        }
        return timed;
    }

    /**
     * The entries this build added are at most {@code epoch}; the base image's, the ones from the start that are the
     * same as {@code base}'s, keep their times, as BuildKit keeps them.
     */
    private static List<History> clamp(List<History> history, List<History> base, Instant epoch) {
        List<History> clamped = new ArrayList<>(history.size());
        boolean diverged = false;
        for (int i = 0; i < history.size(); i++) {
            History step = history.get(i);
            diverged = diverged || i >= base.size() || !step.equals(base.get(i));
            boolean later = step.created() == null || step.created().isAfter(epoch);
            clamped.add(diverged && later ? withCreated(step, epoch) : step);
        }
        return clamped;
    }

    /** The history of the base image's config; none when it is not told or cannot be read (then all is clamped). */
    private static List<History> baseHistory(Optional<byte[]> base) {
        if (base.isEmpty()) {
            return List.of();
        }
        try {
            return ImageConfig.parseDockerOciImage(base.get(), "the base image's config (containerimage.base.config)")
                    .history();
        } catch (OciFormatException e) {
            return List.of();
        }
    }

    private static History withCreated(History step, Instant created) {
        return new History(
                created, step.createdBy(), step.author(), step.comment(), step.emptyLayer(), step.unknownFields());
    }
}
