package dev.kiln.engine.cache;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/** Where a build may take cached steps from ({@code --cache-from} / {@code --import-cache}), one member per type. */
public sealed interface CacheImport {

    /**
     * {@code type=local,src=DIR}: the OCI image layout a local cache export wrote; the manifest is the one index.json
     * names under {@code tag} ("latest" by default), or the blob {@code digest} names when given.
     */
    record Local(Path src, String tag, String digest, String clientStore) implements CacheImport {
        public Local {
            Objects.requireNonNull(src, "src");
            Objects.requireNonNull(tag, "tag");
            Objects.requireNonNull(digest, "digest");
            Objects.requireNonNull(clientStore, "client store");
        }

        /**
         * The same import from a directory on the client's host: its blobs come from the content store the client's
         * session serves under {@code id} (BuildKit's "local:" + src), the manifest the one {@code digest} names, which
         * the client read from its index.json.
         */
        public Local throughClientStore(String id) {
            return new Local(src, tag, digest, id);
        }
    }

    /**
     * {@code type=registry,ref=HOST/REPO:TAG}: a cache a registry export pushed (an image manifest whose config is
     * the cache config, or an index listing it), or an image whose config carries an inline cache.
     *
     * @param insecure {@code registry.insecure=true}: plain HTTP or an unverified certificate for this registry
     */
    record Registry(String ref, boolean insecure) implements CacheImport {
        public Registry {
            Objects.requireNonNull(ref, "ref");
        }
    }

    /**
     * A cache import from BuildKit's type name and attributes.
     *
     * @throws UnsupportedOperationException for a type Kiln cannot import from, naming it
     * @throws IllegalArgumentException      for a missing attribute, naming it
     */
    static CacheImport of(String type, Map<String, String> attrs) {
        CacheAttributes read = new CacheAttributes("import", attrs);
        return switch (type) {
            case "local" -> new Local(read.directory("src"), read.tag(), attrs.getOrDefault("digest", ""), "");
            case "registry" -> new Registry(read.registryRef(), read.bool("registry.insecure"));
            default ->
                throw new UnsupportedOperationException(
                        "cache import type \"" + type + "\" is not supported by kiln (supported: local, registry)");
        };
    }
}
