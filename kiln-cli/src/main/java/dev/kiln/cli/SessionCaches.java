package dev.kiln.cli;

import dev.kiln.cli.remote.ControlCalls;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.LayoutIndex;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The build's cache exports and imports as its request sends them, with what this client does for its type=local
 * caches when the daemon gets no direct access to its files: as BuildKit's client, it lends their directories to the
 * daemon as content stores of the session ("local:" + the path), names an import's manifest by the digest its
 * index.json has under the import's tag, and after the build names the manifest the daemon answered
 * ({@code cache.manifest}) in each export's index.json under the export's tag. With direct access the daemon reads
 * and writes the directories itself, and the caches go as they are.
 *
 * @param exports what the request sends as cache exports
 * @param imports what the request sends as cache imports
 * @param stores  the directories the session serves as content stores, each as the request names it
 * @param indexes the export directories whose index.json names the build's cache manifest, with the tag it goes under
 */
record SessionCaches(
        List<ControlCalls.CacheEntry> exports,
        List<ControlCalls.CacheEntry> imports,
        Set<Path> stores,
        Map<Path, String> indexes) {

    /** The exporter response that names the cache manifest a type=local export wrote. */
    static final String MANIFEST_RESPONSE = "cache.manifest";

    SessionCaches {
        exports = List.copyOf(exports);
        imports = List.copyOf(imports);
        stores = Set.copyOf(stores);
        indexes = Map.copyOf(indexes);
    }

    /** The caches of a daemon with direct access: sent as they are. */
    static SessionCaches direct(List<ControlCalls.CacheEntry> exports, List<ControlCalls.CacheEntry> imports) {
        return new SessionCaches(exports, imports, Set.of(), Map.of());
    }

    /**
     * The caches of a build through a session: each type=local export's directory is made, and each import with
     * neither {@code digest} nor an index.json is left out with a warning on {@code err}, as BuildKit's client leaves
     * it.
     *
     * @throws UsageException when an import's index.json has nothing under its tag
     * @throws IOException    when a directory cannot be made or an index.json is not one
     */
    static SessionCaches throughSession(
            List<ControlCalls.CacheEntry> exports, List<ControlCalls.CacheEntry> imports, PrintStream err)
            throws IOException, UsageException {
        Set<Path> stores = new LinkedHashSet<>();
        Map<Path, String> indexes = new LinkedHashMap<>();
        for (ControlCalls.CacheEntry export : exports) {
            Optional<Path> dir = localDir(export, "dest");
            if (dir.isPresent()) {
                stores.add(Files.createDirectories(dir.get()));
                indexes.put(dir.get(), tag(export));
            }
        }
        List<ControlCalls.CacheEntry> sent = new ArrayList<>();
        for (ControlCalls.CacheEntry cacheImport : imports) {
            Optional<Path> dir = localDir(cacheImport, "src");
            if (dir.isEmpty()) {
                sent.add(cacheImport);
                continue;
            }
            Optional<ControlCalls.CacheEntry> named = withManifest(cacheImport, new LayoutIndex(dir.get()), err);
            if (named.isPresent()) {
                stores.add(dir.get());
                sent.add(named.get());
            }
        }
        return new SessionCaches(exports, sent, stores, indexes);
    }

    /**
     * After a build that succeeded: the manifest the daemon answered goes into each export's index.json. A response
     * without one (no type=local export made it) changes nothing.
     */
    void record(Map<String, String> response) throws IOException {
        String json = response.getOrDefault(MANIFEST_RESPONSE, "");
        if (indexes.isEmpty() || json.isEmpty()) {
            return;
        }
        Descriptor manifest;
        try {
            manifest = Descriptor.parse(json.getBytes(StandardCharsets.UTF_8), "the daemon's " + MANIFEST_RESPONSE);
        } catch (IllegalArgumentException malformed) {
            throw new IOException(malformed.getMessage(), malformed);
        }
        for (Map.Entry<Path, String> index : indexes.entrySet()) {
            new LayoutIndex(index.getKey()).put(manifest, index.getValue());
        }
    }

    /** The import with the digest of the manifest its index names under its tag; empty, with a warning, without index. */
    private static Optional<ControlCalls.CacheEntry> withManifest(
            ControlCalls.CacheEntry cacheImport, LayoutIndex index, PrintStream err)
            throws IOException, UsageException {
        if (!cacheImport.attrs().getOrDefault("digest", "").isEmpty()) {
            return Optional.of(cacheImport);
        }
        if (!index.exists()) {
            err.println("kiln: warning: no cache imported from " + index.dir() + ": it has no index.json (no "
                    + "type=local cache was exported there yet)");
            return Optional.empty();
        }
        String tag = tag(cacheImport);
        Optional<Descriptor> manifest = index.manifest(tag);
        if (manifest.isEmpty()) {
            throw new UsageException("cache import type=local,src=" + index.dir() + ": " + index.file()
                    + " names no cache under tag \"" + tag + "\" (its tags: "
                    + (index.tags().isEmpty() ? "none" : String.join(", ", index.tags()))
                    + "); give tag=TAG or digest=DIGEST");
        }
        Map<String, String> attrs = new LinkedHashMap<>(cacheImport.attrs());
        attrs.put("digest", manifest.get().digest().toString());
        return Optional.of(new ControlCalls.CacheEntry(cacheImport.type(), attrs));
    }

    /** The directory of a type=local cache ({@code dest} or {@code src}); empty for any other cache or none given. */
    private static Optional<Path> localDir(ControlCalls.CacheEntry entry, String pathAttr) {
        String path = entry.attrs().getOrDefault(pathAttr, "");
        return entry.type().equals("local") && !path.isEmpty() ? Optional.of(Path.of(path)) : Optional.empty();
    }

    private static String tag(ControlCalls.CacheEntry entry) {
        return entry.attrs().getOrDefault("tag", "latest");
    }
}
