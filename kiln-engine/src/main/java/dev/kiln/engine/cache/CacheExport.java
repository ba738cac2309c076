package dev.kiln.engine.cache;

import dev.kiln.engine.export.ImageOptions;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Where a build's cache goes ({@code --cache-to} / {@code --export-cache}), one member per cache type as BuildKit has
 * one package per type under cache/remotecache. {@link #of} reads BuildKit's type names and attributes.
 */
public sealed interface CacheExport {

    /** {@code max}: every step of the build; {@code min} (BuildKit's default): only the steps of the result. */
    boolean max();

    /** {@code ignore-error=true}: a failed cache export is a warning, not the build's failure. */
    boolean ignoreError();

    /**
     * {@code type=local,dest=DIR}: an OCI image layout in DIR whose index.json names (under {@code tag}, "latest"
     * by default) an image manifest with the cache config as its config and the layer blobs as its layers.
     *
     * @param layers how new layer blobs are compressed ({@code compression=}, {@code compression-level=},
     *               {@code force-compression=}); the image export's blobs are reused when they are in that form
     */
    record Local(Path dest, boolean max, boolean ignoreError, String tag, ImageOptions layers) implements CacheExport {
        public Local {
            Objects.requireNonNull(dest, "dest");
            Objects.requireNonNull(tag, "tag");
            Objects.requireNonNull(layers, "layers");
        }
    }

    /**
     * A cache export from BuildKit's type name and attributes.
     *
     * @throws UnsupportedOperationException for a type Kiln cannot export to, naming it
     * @throws IllegalArgumentException      for a missing or malformed attribute, naming it
     */
    static CacheExport of(String type, Map<String, String> attrs) {
        return switch (type) {
            case "local" -> {
                String dest = attrs.getOrDefault("dest", "");
                if (dest.isEmpty()) {
                    throw new IllegalArgumentException("cache export type=local needs dest=DIR");
                }
                Map<String, String> layerAttrs = new java.util.HashMap<>();
                for (String key : java.util.List.of("compression", "compression-level", "force-compression")) {
                    if (attrs.containsKey(key)) {
                        layerAttrs.put(key, attrs.get(key));
                    }
                }
                ImageOptions layers = ImageOptions.parse(layerAttrs, ImageOptions.defaults(), Optional.empty());
                if ("false".equals(attrs.get("image-manifest"))) {
                    throw new IllegalArgumentException("cache export type=local: image-manifest=false (an index "
                            + "of blobs) is not supported by kiln; leave it at its default, true");
                }
                yield new Local(Path.of(dest).toAbsolutePath(), mode(attrs), bool(attrs, "ignore-error"),
                        attrs.getOrDefault("tag", "latest"), layers);
            }
            default -> throw new UnsupportedOperationException("cache export type \"" + type
                    + "\" is not supported by kiln (supported: local)");
        };
    }

    private static boolean mode(Map<String, String> attrs) {
        return switch (attrs.getOrDefault("mode", "min")) {
            case "min" -> false;
            case "max" -> true;
            default -> throw new IllegalArgumentException("cache export mode must be min or max, not \""
                    + attrs.get("mode") + "\"");
        };
    }

    static boolean bool(Map<String, String> attrs, String key) {
        String value = attrs.getOrDefault(key, "false");
        return switch (value) {
            case "true", "1" -> true;
            case "false", "0" -> false;
            default -> throw new IllegalArgumentException("cache attribute " + key + " must be true or false, not \""
                    + value + "\"");
        };
    }
}
