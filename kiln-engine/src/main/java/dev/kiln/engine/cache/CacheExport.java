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
     * {@code cache-mounts=true} (Kiln's, beyond BuildKit): the contents of the build's {@code RUN --mount=type=cache}
     * directories travel with the cache ({@link CacheMountLayer}).
     */
    default boolean cacheMounts() {
        return false;
    }

    /**
     * {@code type=local,dest=DIR}: an OCI image layout in DIR whose index.json names (under {@code tag}, "latest"
     * by default) an image manifest with the cache config as its config and the layer blobs as its layers.
     *
     * @param layers how new layer blobs are compressed ({@code compression=}, {@code compression-level=},
     *               {@code force-compression=}); the image export's blobs are reused when they are in that form
     */
    record Local(
            Path dest,
            boolean max,
            boolean ignoreError,
            String tag,
            ImageOptions layers,
            boolean cacheMounts,
            String clientStore)
            implements CacheExport {
        public Local {
            Objects.requireNonNull(dest, "dest");
            Objects.requireNonNull(tag, "tag");
            Objects.requireNonNull(layers, "layers");
            Objects.requireNonNull(clientStore, "client store");
        }

        /**
         * The same export to a directory on the client's host, not this one: its blobs go into the content store the
         * client's session serves under {@code id} (BuildKit's "local:" + dest), and the client writes index.json from
         * the build's {@code cache.manifest} response, as buildctl and buildx do.
         */
        public Local throughClientStore(String id) {
            return new Local(dest, max, ignoreError, tag, layers, cacheMounts, id);
        }
    }

    /**
     * {@code type=registry,ref=HOST/REPO:TAG}: the same cache pushed to a registry. With {@code image-manifest=true}
     * (BuildKit's default since v0.21) the tag names an OCI image manifest whose config is the cache config, which
     * every registry accepts; with {@code image-manifest=false} an index (OCI, or Docker's manifest list with
     * {@code oci-mediatypes=false}) listing the layer blobs and the cache config, BuildKit's older form.
     *
     * @param insecure {@code registry.insecure=true}: plain HTTP or an unverified certificate for this registry
     */
    record Registry(
            String ref,
            boolean max,
            boolean ignoreError,
            boolean imageManifest,
            boolean ociMediaTypes,
            boolean insecure,
            ImageOptions layers,
            boolean cacheMounts)
            implements CacheExport {
        public Registry {
            Objects.requireNonNull(ref, "ref");
            Objects.requireNonNull(layers, "layers");
        }
    }

    /**
     * {@code type=inline}: the cache records go into the config of the image the build exports (under BuildKit's
     * {@code moby.buildkit.cache.v0}), their results the image's own layers; so only the steps of the image, as
     * with mode=min.
     */
    record Inline() implements CacheExport {
        @Override
        public boolean max() {
            return false;
        }

        @Override
        public boolean ignoreError() {
            return false;
        }
    }

    /**
     * A cache export from BuildKit's type name and attributes.
     *
     * @throws UnsupportedOperationException for a type Kiln cannot export to, naming it
     * @throws IllegalArgumentException      for a missing or malformed attribute, naming it
     */
    static CacheExport of(String type, Map<String, String> attrs) {
        CacheAttributes read = new CacheAttributes("export", attrs);
        return switch (type) {
            case "local" -> {
                Path dest = read.directory("dest");
                ImageOptions layers = layerOptions(attrs);
                if (attrs.containsKey("image-manifest") && !read.bool("image-manifest")) {
                    throw new IllegalArgumentException("cache export type=local: image-manifest=false (an index "
                            + "of blobs) is not supported by kiln; leave it at its default, true");
                }
                yield new Local(
                        dest,
                        mode(attrs),
                        read.bool("ignore-error"),
                        read.tag(),
                        layers,
                        read.bool("cache-mounts"),
                        "");
            }
            case "registry" -> {
                String ref = read.registryRef();
                boolean oci = !attrs.containsKey("oci-mediatypes") || read.bool("oci-mediatypes");
                // As BuildKit: Docker media types without a word on the form mean the older form, an index.
                boolean imageManifest = attrs.containsKey("image-manifest") ? read.bool("image-manifest") : oci;
                if (imageManifest && !oci) {
                    throw new IllegalArgumentException("cache export type=registry: image-manifest=true needs OCI "
                            + "media types; drop oci-mediatypes=false or add image-manifest=false");
                }
                yield new Registry(
                        ref,
                        mode(attrs),
                        read.bool("ignore-error"),
                        imageManifest,
                        oci,
                        read.bool("registry.insecure"),
                        layerOptions(attrs),
                        read.bool("cache-mounts"));
            }
            case "inline" -> {
                if (read.bool("cache-mounts")) {
                    throw new IllegalArgumentException("cache export type=inline cannot carry cache mounts "
                            + "(cache-mounts=true): an image config has no room for them; use type=registry or local");
                }
                yield new Inline();
            }
            default ->
                throw new UnsupportedOperationException("cache export type \"" + type
                        + "\" is not supported by kiln (supported: local, registry, inline)");
        };
    }

    /** How new layer blobs are compressed: {@code compression=}, {@code compression-level=}, {@code force-compression=}. */
    private static ImageOptions layerOptions(Map<String, String> attrs) {
        Map<String, String> layerAttrs = new java.util.HashMap<>();
        for (String key : java.util.List.of("compression", "compression-level", "force-compression")) {
            if (attrs.containsKey(key)) {
                layerAttrs.put(key, attrs.get(key));
            }
        }
        return ImageOptions.parse(layerAttrs, ImageOptions.defaults(), Optional.empty());
    }

    private static boolean mode(Map<String, String> attrs) {
        return switch (attrs.getOrDefault("mode", "min")) {
            case "min" -> false;
            case "max" -> true;
            default ->
                throw new IllegalArgumentException(
                        "cache export mode must be min or max, not \"" + attrs.get("mode") + "\"");
        };
    }
}
