package dev.kiln.engine.cache;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.core.Digest;
import dev.kiln.core.ImageReference;
import dev.kiln.core.Platform;
import dev.kiln.oci.CacheConfig;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.ImageConfig;
import dev.kiln.oci.ImageIndex;
import dev.kiln.oci.ImageManifest;
import dev.kiln.oci.LayoutIndex;
import dev.kiln.oci.MediaTypes;
import dev.kiln.oci.OciFormatException;
import dev.kiln.oci.PlatformMatcher;
import dev.kiln.oci.content.BlobWriter;
import dev.kiln.oci.content.DigestMismatchException;
import dev.kiln.oci.registry.FetchedManifest;
import dev.kiln.oci.registry.RegistryClient;
import dev.kiln.solver.OperationContext;
import dev.kiln.solver.Result;
import dev.kiln.worker.ClientContentStore;
import dev.kiln.worker.image.ImageStore;
import dev.kiln.worker.image.LayerBlob;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A cache config read from an import (a local directory, a registry's cache manifest or index, or an image's
 * inline cache), with the blobs it names: answers a step's key with the step's results, each its layer chain,
 * unpacked only when something uses it (layers already unpacked on this state, by an image pull or an earlier
 * import, are used as they are), so a stage whose dependants all hit the cache costs its blobs' download alone.
 * Every blob is verified against its digest as it is copied in, when its step hits; a blob that does not match
 * fails that step's import, naming the blob, and the solver then runs the step.
 */
public final class ImportedCache {

    static final String UNCOMPRESSED = "containerd.io/uncompressed";
    static final String CREATED_AT = "buildkit/createdat";
    private static final long MAX_DOCUMENT = 16 << 20;

    private final String source;
    private final LayerSource blobs;
    private final ImageStore images;
    private final CacheConfig config;
    private final Map<Digest, CacheConfig.Record> records = new HashMap<>();
    private final Map<Digest, Descriptor> layerBlobs = new HashMap<>();
    private final Map<String, Descriptor> cacheMounts = new java.util.TreeMap<>();
    /** By record digest: the selectors (content checksums) under which the records consuming it linked to it. */
    private final Map<Digest, Set<String>> consumersChecksums = new HashMap<>();
    /** By result id, for the results this import gave out: the record each came from. */
    private final Map<String, Digest> recordOf = new ConcurrentHashMap<>();

    /** Where the layer blobs of an import come from: copied into the content store, verified, when a step hits. */
    @FunctionalInterface
    private interface LayerSource {
        void fetch(Descriptor blob, ImageStore images, String source) throws IOException;
    }

    private ImportedCache(
            String source, LayerSource blobs, ImageStore images, CacheConfig config, List<Descriptor> layers) {
        this.source = source;
        this.blobs = blobs;
        this.images = images;
        this.config = config;
        for (CacheConfig.Record record : config.records()) {
            records.putIfAbsent(record.digest(), record);
            for (List<CacheConfig.Input> links : record.inputs()) {
                for (CacheConfig.Input link : links) {
                    if (!link.selector().isEmpty()) {
                        consumersChecksums
                                .computeIfAbsent(
                                        config.records().get(link.link()).digest(), d -> new HashSet<>())
                                .add(link.selector());
                    }
                }
            }
        }
        for (Descriptor layer : layers) {
            layerBlobs.put(layer.digest(), layer);
            String mountId = layer.annotations().get(CacheMountLayer.ID_ANNOTATION);
            if (mountId != null && !mountId.isEmpty()) {
                cacheMounts.put(mountId, layer);
            }
        }
    }

    /**
     * Reads the cache a local export wrote: index.json, the manifest it names, the cache config.
     *
     * @throws IOException naming the directory and what is missing or malformed
     */
    public static ImportedCache open(CacheImport.Local spec, ImageStore images) throws IOException {
        Path blobs = spec.src().resolve("blobs");
        return open(
                spec,
                images,
                (digest, source) -> readVerified(blobs, digest, source),
                (blob, store, name) -> copyFile(blobs, blob, store, name));
    }

    /**
     * Reads a local cache whose directory is at the client's end of a session, through the content store the client
     * serves for it: the manifest is the one the client read from its index.json and sent as {@code digest}.
     *
     * @throws IOException naming the directory and what is missing or malformed
     */
    public static ImportedCache open(CacheImport.Local spec, ImageStore images, ClientContentStore client)
            throws IOException {
        if (spec.digest().isEmpty()) {
            throw new IOException("cache " + spec.src() + " at the client's end: the client named no manifest (its "
                    + "index.json has no cache under tag \"" + spec.tag() + "\")");
        }
        return open(
                spec,
                images,
                (digest, source) -> {
                    try (InputStream in = client.read(digest)) {
                        byte[] bytes = in.readNBytes((int) MAX_DOCUMENT + 1);
                        return verified(bytes, digest, source);
                    }
                },
                (blob, store, name) ->
                        copyVerified(() -> client.read(blob.digest()), blob, store, name + " at the client's end"));
    }

    /** Reads one document (a manifest, a cache config) of an import, verified against its digest. */
    @FunctionalInterface
    private interface DocumentSource {
        byte[] read(Digest digest, String source) throws IOException;
    }

    private static ImportedCache open(
            CacheImport.Local spec, ImageStore images, DocumentSource documents, LayerSource layerBlobs)
            throws IOException {
        Path dir = spec.src();
        String source = "cache " + dir;
        Digest manifestDigest;
        if (!spec.digest().isEmpty()) {
            manifestDigest = Digest.parse(spec.digest());
        } else {
            LayoutIndex index = new LayoutIndex(dir);
            if (!index.exists()) {
                throw new IOException(
                        source + " has no index.json (is it a directory a type=local cache export wrote?)");
            }
            manifestDigest = index.manifest(spec.tag())
                    .orElseThrow(() ->
                            new IOException(source + ": index.json names no cache under tag \"" + spec.tag() + "\""))
                    .digest();
        }
        byte[] manifestBytes = documents.read(manifestDigest, source);
        Descriptor configDescriptor;
        List<Descriptor> layers;
        String mediaType = mediaTypeOf(manifestBytes);
        if (MediaTypes.isIndex(mediaType)) {
            ImageIndex index = parse(() -> ImageIndex.parse(manifestBytes, "cache index " + manifestDigest));
            configDescriptor = index.manifests().stream()
                    .filter(m -> m.mediaType().equals(CacheConfig.MEDIA_TYPE))
                    .findFirst()
                    .orElseThrow(() -> new IOException(
                            source + ": cache index " + manifestDigest + " lists no " + CacheConfig.MEDIA_TYPE));
            layers = index.manifests().stream()
                    .filter(m -> !m.mediaType().equals(CacheConfig.MEDIA_TYPE))
                    .toList();
        } else {
            ImageManifest manifest =
                    parse(() -> ImageManifest.parse(manifestBytes, "cache manifest " + manifestDigest));
            configDescriptor = manifest.config();
            if (!configDescriptor.mediaType().equals(CacheConfig.MEDIA_TYPE)) {
                throw new IOException(source + ": manifest " + manifestDigest + " is not a cache manifest (its "
                        + "config is " + configDescriptor.mediaType() + ", not " + CacheConfig.MEDIA_TYPE + ")");
            }
            layers = manifest.layers();
        }
        byte[] configBytes = documents.read(configDescriptor.digest(), source);
        CacheConfig config = parse(() -> CacheConfig.parse(configBytes));
        return new ImportedCache(source, layerBlobs, images, config, layers);
    }

    /**
     * Reads a cache from a registry: the manifest (or index) the ref names and the cache config it lists; or, for an
     * image, the inline cache its config carries, whose layers are the image's own. Layer blobs are fetched only
     * when a step's record hits.
     *
     * @param images the image store with the registry client (and credentials) the build uses
     * @param platform the platform whose image of a multi-platform index carries the inline cache
     * @throws IOException naming the ref and what is missing or malformed
     */
    public static ImportedCache open(CacheImport.Registry spec, ImageStore images, Platform platform)
            throws IOException {
        ImageReference ref = ImageReference.parseNormalized(spec.ref()).withDefaultTag();
        String source = "cache " + ref;
        RegistryClient registry = images.registry();
        FetchedManifest root = registry.fetchManifest(ref);
        LayerSource fromRegistry = (blob, store, name) -> fetchFromRegistry(registry, ref, blob, store, name);
        if (root.document() instanceof ImageIndex index) {
            Optional<Descriptor> configDescriptor = index.manifests().stream()
                    .filter(m -> m.mediaType().equals(CacheConfig.MEDIA_TYPE))
                    .findFirst();
            if (configDescriptor.isPresent()) {
                List<Descriptor> layers = index.manifests().stream()
                        .filter(m -> !m.mediaType().equals(CacheConfig.MEDIA_TYPE))
                        .toList();
                byte[] configBytes = registry.fetchBlob(ref, configDescriptor.get());
                return new ImportedCache(
                        source, fromRegistry, images, parse(() -> CacheConfig.parse(configBytes)), layers);
            }
            Descriptor chosen = PlatformMatcher.of(platform)
                    .select(index.manifests())
                    .orElseThrow(() -> new IOException(source
                            + " is an index with neither a cache config nor an image for " + platform.normalize()));
            FetchedManifest image = registry.fetchManifest(ref, chosen);
            if (image.isIndex()) {
                throw new IOException(source + ": an index inside an index is not supported");
            }
            return inline(source, ref, image.manifest(), registry, images, fromRegistry);
        }
        ImageManifest manifest = root.manifest();
        if (!manifest.config().mediaType().equals(CacheConfig.MEDIA_TYPE)) {
            return inline(source, ref, manifest, registry, images, fromRegistry);
        }
        byte[] configBytes = registry.fetchBlob(ref, manifest.config());
        return new ImportedCache(
                source, fromRegistry, images, parse(() -> CacheConfig.parse(configBytes)), manifest.layers());
    }

    /**
     * The inline cache of an image: the records its config carries under {@link CacheConfig#INLINE_FIELD}, whose
     * results index the image's layers (each layer's parent the one below it, its diff ID from the config's rootfs).
     */
    private static ImportedCache inline(
            String source,
            ImageReference ref,
            ImageManifest manifest,
            RegistryClient registry,
            ImageStore images,
            LayerSource fromRegistry)
            throws IOException {
        byte[] configBytes = registry.fetchBlob(ref, manifest.config());
        ImageConfig image = parse(() -> ImageConfig.parse(configBytes, "config of " + ref));
        JsonNode field = image.unknownFields().get(CacheConfig.INLINE_FIELD);
        if (field == null || !field.isTextual()) {
            throw new IOException(source + " is an image without an inline cache (its config has no "
                    + CacheConfig.INLINE_FIELD + "; build it with --cache-to type=inline)");
        }
        byte[] records;
        try {
            records = Base64.getDecoder().decode(field.asText());
        } catch (IllegalArgumentException e) {
            throw new IOException(source + ": the image config's " + CacheConfig.INLINE_FIELD + " is not base64", e);
        }
        List<Digest> diffIds = image.rootfs().diffIds();
        if (diffIds.size() != manifest.layers().size()) {
            throw new IOException(source + ": the image's manifest lists "
                    + manifest.layers().size() + " layers but its config " + diffIds.size() + " diff IDs");
        }
        List<CacheConfig.Layer> layers = new ArrayList<>();
        List<Descriptor> blobs = new ArrayList<>();
        for (int i = 0; i < diffIds.size(); i++) {
            Descriptor layer = manifest.layers().get(i);
            layers.add(new CacheConfig.Layer(layer.digest(), i - 1));
            blobs.add(layer.withAnnotations(Map.of(UNCOMPRESSED, diffIds.get(i).toString())));
        }
        CacheConfig config = parse(() -> CacheConfig.parseInline(layers, records));
        return new ImportedCache(source + " (inline)", fromRegistry, images, config, blobs);
    }

    private interface Parse<T> {
        T parse();
    }

    private static <T> T parse(Parse<T> parse) throws IOException {
        try {
            return parse.parse();
        } catch (OciFormatException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    private static String mediaTypeOf(byte[] json) {
        String text = new String(json, StandardCharsets.UTF_8);
        return text.contains("\"manifests\"") && !text.contains("\"config\"")
                ? MediaTypes.OCI_INDEX
                : MediaTypes.OCI_MANIFEST;
    }

    private static byte[] readVerified(Path blobs, Digest digest, String source) throws IOException {
        Path file = blobs.resolve(digest.algorithm()).resolve(digest.hex());
        if (!Files.isRegularFile(file)) {
            throw new IOException(source + " lacks blob " + digest);
        }
        if (Files.size(file) > MAX_DOCUMENT) {
            throw new IOException(source + ": blob " + digest + " is too large for a cache document");
        }
        return verified(Files.readAllBytes(file), digest, source);
    }

    private static byte[] verified(byte[] bytes, Digest digest, String source) throws IOException {
        if (bytes.length > MAX_DOCUMENT) {
            throw new IOException(source + ": blob " + digest + " is too large for a cache document");
        }
        if (!Digest.sha256(bytes).equals(digest)) {
            throw new IOException(source + ": blob " + digest + " does not match its digest (its bytes are "
                    + Digest.sha256(bytes) + ")");
        }
        return bytes;
    }

    /** How many records the config has, for the progress line that says what was imported. */
    /**
     * Makes the directory of each cache mount this import carries ({@link CacheMountLayer}) that this state does not
     * have yet, from its blob (verified against its digest as it is copied in); a mount a step already made here is
     * kept as it is. Returns the ids of the mounts it made.
     */
    public List<String> restoreCacheMounts(dev.kiln.worker.ops.CacheMounts mounts) throws IOException {
        List<String> restored = new ArrayList<>();
        for (Map.Entry<String, Descriptor> mount : cacheMounts.entrySet()) {
            Descriptor blob = mount.getValue();
            if (mounts.directory(mount.getKey()).isPresent()) {
                continue;
            }
            blobs.fetch(blob, images, source);
            boolean made = mounts.restore(mount.getKey(), empty -> {
                try (InputStream in = images.content().open(blob.digest())) {
                    dev.kiln.oci.layer.LayerUnpacker.apply(in, blob.mediaType(), empty);
                } catch (IOException e) {
                    throw new IOException(
                            source + ": cache mount \"" + mount.getKey() + "\" (blob " + blob.digest() + "): "
                                    + e.getMessage(),
                            e);
                }
            });
            if (made) {
                restored.add(mount.getKey());
            }
        }
        return restored;
    }

    public int recordCount() {
        return config.records().size();
    }

    public String source() {
        return source;
    }

    /**
     * The step's results (one per output), their blobs fetched and verified, unpacked on this state when first used,
     * if every output of the step has a record with a result here; empty otherwise.
     */
    public Optional<List<Result>> load(String key, OperationContext ctx) throws IOException {
        List<List<LayerBlob>> chains = new ArrayList<>();
        for (int output = 0; ; output++) {
            CacheConfig.Record record = records.get(BuildCache.recordDigest(key, output));
            if (record == null) {
                break;
            }
            if (record.results().isEmpty()) {
                return Optional.empty();
            }
            Optional<List<LayerBlob>> chain = chain(record.results().getFirst().layer());
            if (chain.isEmpty()) {
                return Optional.empty();
            }
            chains.add(chain.get());
        }
        if (chains.isEmpty()) {
            return Optional.empty();
        }
        List<Result> results = new ArrayList<>();
        for (int output = 0; output < chains.size(); output++) {
            List<LayerBlob> chain = chains.get(output);
            Result result = images.deferredUnpack(chain, this::fetch, source, line -> log(ctx, line));
            recordOf.put(result.id(), BuildCache.recordDigest(key, output));
            results.add(result);
        }
        return Optional.of(results);
    }

    /**
     * The content checksums the exporting build computed over a result this import gave out, one per step that
     * consumed it by content (the selectors of the links to its record): the same layers give the same checksums
     * here, so a consumer's key can be tried with them before the layers are unpacked to be hashed.
     */
    public Set<String> knownChecksums(Result result) {
        Digest record = recordOf.get(result.id());
        return record == null ? Set.of() : consumersChecksums.getOrDefault(record, Set.of());
    }

    /** Whether the key has a record whose input {@code index} links to {@code input}'s record under the checksum. */
    public boolean confirms(String key, int index, Result input, String checksum) {
        CacheConfig.Record record = records.get(BuildCache.recordDigest(key, 0));
        Digest inputRecord = recordOf.get(input.id());
        if (record == null || inputRecord == null || index >= record.inputs().size()) {
            return false;
        }
        return record.inputs().get(index).stream()
                .anyMatch(link -> link.selector().equals(checksum)
                        && config.records().get(link.link()).digest().equals(inputRecord));
    }

    /** The layers of a result, bottom first, or empty when the export left a blob out. */
    private Optional<List<LayerBlob>> chain(int top) throws IOException {
        List<LayerBlob> chain = new ArrayList<>();
        Set<Integer> seen = new HashSet<>();
        for (int index = top; index != -1; index = config.layers().get(index).parent()) {
            if (!seen.add(index)) {
                throw new IOException(source + ": the cache config's layers loop at index " + index);
            }
            CacheConfig.Layer layer = config.layers().get(index);
            Descriptor descriptor = layerBlobs.get(layer.blob());
            if (descriptor == null) {
                return Optional.empty();
            }
            String diffId = descriptor.annotations().getOrDefault(UNCOMPRESSED, "");
            if (diffId.isEmpty()) {
                throw new IOException(source + ": layer blob " + layer.blob() + " has no " + UNCOMPRESSED
                        + " annotation, so it cannot be checked once unpacked");
            }
            chain.addFirst(new LayerBlob(descriptor, Digest.parse(diffId), ""));
        }
        return Optional.of(chain);
    }

    private void fetch(LayerBlob layer) throws IOException {
        blobs.fetch(layer.descriptor(), images, source);
    }

    /** Copies one blob into the content store; the writer verifies digest and size before it keeps it. */
    private static void copyFile(Path blobs, Descriptor blob, ImageStore images, String source) throws IOException {
        Path file =
                blobs.resolve(blob.digest().algorithm()).resolve(blob.digest().hex());
        if (!Files.isRegularFile(file)) {
            throw new IOException(source + " lacks layer blob " + blob.digest());
        }
        copyVerified(() -> Files.newInputStream(file), blob, images, source);
    }

    /** Opens a blob's bytes where an import keeps them. */
    @FunctionalInterface
    private interface BlobOpener {
        InputStream open() throws IOException;
    }

    private static void copyVerified(BlobOpener opener, Descriptor blob, ImageStore images, String source)
            throws IOException {
        try (BlobWriter writer = images.content().writer(blob.digest(), blob.size())) {
            if (!writer.alreadyStored()) {
                try (InputStream in = opener.open()) {
                    in.transferTo(writer);
                }
            }
            writer.commit();
        } catch (DigestMismatchException e) {
            throw new IOException(
                    "layer blob " + blob.digest() + " in " + source + " does not match its digest (" + e.getMessage()
                            + ")",
                    e);
        }
    }

    /** Downloads one blob into the content store; the client verifies digest and size and keeps nothing else. */
    private static void fetchFromRegistry(
            RegistryClient registry, ImageReference ref, Descriptor blob, ImageStore images, String source)
            throws IOException {
        try {
            registry.fetchBlob(ref, blob, images.content());
        } catch (DigestMismatchException e) {
            throw new IOException(
                    "layer blob " + blob.digest() + " in " + source + " does not match its digest (" + e.getMessage()
                            + ")",
                    e);
        }
    }

    private static void log(OperationContext ctx, String line) {
        byte[] bytes = ("cache: " + line + "\n").getBytes(StandardCharsets.UTF_8);
        ctx.log(1, bytes, 0, bytes.length);
    }
}
