package dev.kiln.worker.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.core.Digest;
import dev.kiln.core.ImageReference;
import dev.kiln.core.Platform;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.ImageConfig;
import dev.kiln.oci.ImageIndex;
import dev.kiln.oci.ImageManifest;
import dev.kiln.oci.ManifestDocument;
import dev.kiln.oci.MediaTypes;
import dev.kiln.oci.content.ContentStore;
import dev.kiln.oci.layer.AppliedLayer;
import dev.kiln.oci.layer.LayerUnpacker;
import dev.kiln.oci.registry.FetchedManifest;
import dev.kiln.oci.registry.RegistryClient;
import dev.kiln.oci.registry.ResolvedImage;
import dev.kiln.solver.Result;
import dev.kiln.worker.AtomicWrite;
import dev.kiln.worker.DeferredSnapshotResult;
import dev.kiln.worker.SnapshotResult;
import dev.kiln.worker.TransferRate;
import dev.kiln.worker.snapshot.Snapshot;
import dev.kiln.worker.snapshot.Snapshotter;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Images on this machine: their blobs in a content store, their layers unpacked into snapshots
 * (shared by every build that uses the same layers: a layer stack is found again by its chain ID),
 * and for each snapshot layer the blob it came from, so that exporting an image built on a pulled
 * base reuses the base's blobs instead of compressing its layers again. Images Kiln made can be given local
 * names, each pointing at a manifest in the content store.
 */
public final class ImageStore {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ContentStore content;
    private final RegistryClient registry;
    private final Snapshotter snapshotter;
    private final Path chains;
    /** Layer lists of deferred results not unpacked yet, by chain ID (see {@link #deferredUnpack}). */
    private final Path pending;

    private final Path layers;
    private final Path names;
    private final ConcurrentHashMap<String, ReentrantLock> unpacking;
    /** Layer blobs being written, by layer and variant (see {@link #layerBlob}). */
    private final ConcurrentHashMap<String, CompletableFuture<LayerBlob>> writing;

    public ImageStore(Path dir, RegistryClient registry, Snapshotter snapshotter) throws IOException {
        this.content = ContentStore.open(dir.resolve("content"));
        this.registry = registry;
        this.snapshotter = snapshotter;
        this.chains = Files.createDirectories(dir.resolve("chains"));
        this.pending = Files.createDirectories(dir.resolve("pending"));
        this.layers = Files.createDirectories(dir.resolve("layers"));
        this.names = Files.createDirectories(dir.resolve("names"));
        this.unpacking = new ConcurrentHashMap<>();
        this.writing = new ConcurrentHashMap<>();
    }

    private ImageStore(ImageStore store, RegistryClient registry) {
        this.content = store.content;
        this.registry = registry;
        this.snapshotter = store.snapshotter;
        this.chains = store.chains;
        this.pending = store.pending;
        this.layers = store.layers;
        this.names = store.names;
        this.unpacking = store.unpacking;
        this.writing = store.writing;
    }

    /**
     * This store reaching registries through {@code other} (a build's view with its client's credentials): the
     * same content, snapshots, names and unpacking locks, so what one build pulls every build finds.
     */
    public ImageStore withRegistry(RegistryClient other) {
        return other == registry ? this : new ImageStore(this, other);
    }

    public ContentStore content() {
        return content;
    }

    public RegistryClient registry() {
        return registry;
    }

    /** The image {@code reference} names for {@code platform}, asking the registry. */
    public ResolvedImage resolve(ImageReference reference, Platform platform) throws IOException {
        return registry.resolveImage(reference.withDefaultTag(), platform);
    }

    /**
     * As {@link #resolve(ImageReference, Platform)}, in one of BuildKit's resolve modes: {@code local}
     * prefers an image this machine has under that name (one a build stored with {@code type=image}),
     * and asks the registry only when there is none; {@code default} takes a reference pinned to a
     * digest from the content store when its manifest and config are there (content cannot change
     * under a digest, so the registry has nothing newer to say), else asks the registry, as
     * {@code pull} always does. What the registry answers is kept for the next pinned build, and for the next
     * resolve of the same tag, which then asks the registry only which digest the tag names.
     */
    public ResolvedImage resolve(ImageReference reference, Platform platform, String mode) throws IOException {
        if ("local".equals(mode)) {
            Optional<ResolvedImage> local = resolveLocal(reference.withDefaultTag(), platform);
            if (local.isPresent()) {
                return local.get();
            }
        }
        if (!"pull".equals(mode) && !reference.digest().isEmpty()) {
            Optional<ResolvedImage> stored = resolveStoredDigest(reference, platform);
            if (stored.isPresent()) {
                return stored.get();
            }
        }
        ResolvedImage resolved = registry.resolveImage(reference.withDefaultTag(), platform, content);
        keepDocuments(resolved);
        return resolved;
    }

    /** The image stored here under {@code reference}, read from the content store. */
    public Optional<ResolvedImage> resolveLocal(ImageReference reference, Platform platform) throws IOException {
        Optional<Descriptor> named = namedImage(reference);
        if (named.isEmpty()) {
            return Optional.empty();
        }
        return resolveStored(reference, storedManifest(named.get(), reference), platform);
    }

    private Optional<ResolvedImage> resolveStoredDigest(ImageReference reference, Platform platform)
            throws IOException {
        Digest digest = Digest.parse(reference.digest());
        if (!content.exists(digest)) {
            return Optional.empty();
        }
        byte[] bytes = content.read(digest);
        ManifestDocument document = ManifestDocument.parse(bytes, "", "manifest of " + reference);
        String mediaType = !document.mediaType().isEmpty()
                ? document.mediaType()
                : document instanceof ImageIndex ? MediaTypes.OCI_INDEX : MediaTypes.OCI_MANIFEST;
        FetchedManifest top = new FetchedManifest(Descriptor.of(mediaType, digest, bytes.length), bytes, document);
        return resolveStored(reference, top, platform);
    }

    /** The image below a stored top-level manifest or index, if its platform's manifest and config are stored. */
    private Optional<ResolvedImage> resolveStored(ImageReference reference, FetchedManifest top, Platform platform)
            throws IOException {
        FetchedManifest image = top;
        if (top.document() instanceof ImageIndex index) {
            Optional<Descriptor> chosen = index.select(platform);
            if (chosen.isEmpty() || !content.exists(chosen.get().digest())) {
                return Optional.empty();
            }
            image = storedManifest(chosen.get(), reference);
        }
        Descriptor config = image.manifest().config();
        if (!content.exists(config.digest())) {
            return Optional.empty();
        }
        byte[] configBytes = content.read(config.digest());
        return Optional.of(new ResolvedImage(
                reference, top, image, configBytes, ImageConfig.parse(configBytes, "config of " + reference)));
    }

    /** Keeps a resolved image's index, manifest and config (each verified by its digest on the way in). */
    private void keepDocuments(ResolvedImage image) throws IOException {
        for (FetchedManifest manifest : List.of(image.root(), image.image())) {
            if (!content.exists(manifest.descriptor().digest())) {
                content.write(manifest.descriptor().digest(), manifest.bytes());
            }
        }
        if (!content.exists(image.configDescriptor().digest())) {
            content.write(image.configDescriptor().digest(), image.configBytes());
        }
    }

    private FetchedManifest storedManifest(Descriptor descriptor, ImageReference reference) throws IOException {
        byte[] bytes = content.read(descriptor.digest());
        return new FetchedManifest(
                descriptor, bytes, ManifestDocument.parse(bytes, descriptor.mediaType(), "manifest of " + reference));
    }

    /**
     * The image's filesystem as a snapshot: each layer not yet unpacked is downloaded (verified),
     * unpacked into a new snapshot layer, and remembered by its chain ID; layers unpacked before,
     * by any build, are used as they are.
     */
    public Snapshot unpack(ResolvedImage image, Progress progress) throws IOException {
        Snapshot current = Snapshot.SCRATCH;
        String chain = null;
        List<Descriptor> blobs = image.layers();
        List<Digest> diffIds = image.config().rootfs().diffIds();
        if (diffIds.size() != blobs.size()) {
            throw new IOException("image " + image.reference() + ": its config lists " + diffIds.size()
                    + " layers but its manifest " + blobs.size());
        }
        for (int i = 0; i < blobs.size(); i++) {
            Descriptor blob = blobs.get(i);
            Digest diffId = diffIds.get(i);
            chain = chainId(chain, diffId);
            current = unpackLayer(image, blob, diffId, chain, current, progress);
        }
        return current;
    }

    private Snapshot unpackLayer(
            ResolvedImage image, Descriptor blob, Digest diffId, String chain, Snapshot parent, Progress progress)
            throws IOException {
        return unpackLayer(
                new LayerBlob(blob, diffId, repository(image.reference())),
                chain,
                parent,
                progress,
                "of " + image.reference(),
                "the image config",
                () -> {
                    progress.log("pulling " + blob.digest() + " (" + TransferRate.size(blob.size()) + ")");
                    long started = System.nanoTime();
                    registry.fetchBlob(image.reference(), blob, content);
                    progress.log("pulled " + blob.digest() + ": "
                            + TransferRate.describe(blob.size(), System.nanoTime() - started));
                });
    }

    /** Brings a blob that is not in the content store into it, verified. */
    @FunctionalInterface
    public interface BlobFetch {
        void fetch(LayerBlob blob) throws IOException;
    }

    /**
     * Layers given as blobs (bottom first, as a cache import lists them) as one snapshot: unpacked as an image's
     * layers are, under the same chain IDs, so layers an image pull or an earlier import unpacked are used as they
     * are. {@code fetch} brings each blob the content store lacks into it.
     */
    public Snapshot unpack(List<LayerBlob> layers, BlobFetch fetch, String source, Progress progress)
            throws IOException {
        Snapshot current = Snapshot.SCRATCH;
        String chain = null;
        for (LayerBlob layer : layers) {
            chain = chainId(chain, layer.diffId());
            current = unpackLayer(
                    layer, chain, current, progress, "of " + source, "the cache config", () -> fetch.fetch(layer));
        }
        return current;
    }

    /**
     * As {@link #unpack(List, BlobFetch, String, Progress)}, but unpacked only when something first uses the result
     * (a cache import whose step's dependants all hit the cache never needs its files); the blobs are fetched now.
     * The layer list is kept under the chain ID, so that the result's id, recorded in the solver's cache, finds it
     * again in a later build ({@link #deferredResult}). Layers unpacked already give a plain result at once.
     */
    public Result deferredUnpack(List<LayerBlob> layers, BlobFetch fetch, String source, Progress progress)
            throws IOException {
        if (layers.isEmpty()) {
            return SnapshotResult.SCRATCH;
        }
        String chain = chainId(layers);
        Optional<Snapshot> known = chainSnapshot(chain);
        if (known.isPresent()) {
            return new SnapshotResult(known.get());
        }
        fetchMissing(layers, fetch, source);
        AtomicWrite.write(pending.resolve(Digest.parse(chain).hex()), PendingChain.write(layers));
        return new DeferredSnapshotResult(
                Digest.parse(chain).hex(), layers, () -> unpack(layers, fetch, source, progress));
    }

    /**
     * Brings every blob of the layers that the content store lacks into it, in parallel: a deferred result's blobs
     * are here and verified when it is given out, so a damaged one fails its import now (the solver then runs the
     * step) rather than the later step that unpacks it.
     */
    private void fetchMissing(List<LayerBlob> layers, BlobFetch fetch, String source) throws IOException {
        List<LayerBlob> missing = layers.stream()
                .filter(layer -> !content.exists(layer.descriptor().digest()))
                .toList();
        if (missing.size() == 1) {
            fetch.fetch(missing.getFirst());
            return;
        }
        try (var fetches = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Void>> started = new ArrayList<>();
            for (LayerBlob layer : missing) {
                started.add(fetches.submit(() -> {
                    fetch.fetch(layer);
                    return null;
                }));
            }
            for (Future<Void> fetched : started) {
                try {
                    fetched.get();
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof IOException io) {
                        throw io;
                    }
                    throw new IOException(source + ": " + e.getCause().getMessage(), e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("fetching the blobs of " + source + " was interrupted");
                }
            }
        }
    }

    /**
     * The result a deferred result's id names, in a later build: its snapshot, if it was unpacked since and still
     * exists; deferred again while every blob of its layers is in the content store; empty otherwise (the solver then
     * drops the record and runs the step).
     */
    public Optional<Result> deferredResult(String id) {
        if (!id.startsWith(DeferredSnapshotResult.ID_PREFIX)) {
            return Optional.empty();
        }
        String hex = id.substring(DeferredSnapshotResult.ID_PREFIX.length());
        try {
            Digest chain = Digest.parse("sha256:" + hex);
            Optional<Snapshot> known = chainSnapshot(chain.toString());
            if (known.isPresent()) {
                return Optional.of(new SnapshotResult(known.get()));
            }
            Path file = pending.resolve(chain.hex());
            if (!Files.isRegularFile(file)) {
                return Optional.empty();
            }
            List<LayerBlob> layers = PendingChain.read(Files.readAllBytes(file), file);
            if (!chainId(layers).equals(chain.toString())
                    || !layers.stream()
                            .allMatch(layer -> content.exists(layer.descriptor().digest()))) {
                return Optional.empty();
            }
            return Optional.of(new DeferredSnapshotResult(
                    chain.hex(),
                    layers,
                    () -> unpack(
                            layers,
                            layer -> {
                                throw new IOException("blob "
                                        + layer.descriptor().digest() + " of a cached result left the content store");
                            },
                            "the build cache",
                            line -> {})));
        } catch (IOException | RuntimeException unreadable) {
            // A record that cannot be read is a cache miss, never a wrong result.
            return Optional.empty();
        }
    }

    /** The chain ID of a layer stack, as the OCI image spec defines it over the layers' diff IDs, bottom first. */
    static String chainId(List<LayerBlob> layers) {
        String chain = null;
        for (LayerBlob layer : layers) {
            chain = chainId(chain, layer.diffId());
        }
        return chain;
    }

    private static String chainId(String below, Digest diffId) {
        return below == null
                ? diffId.toString()
                : Digest.sha256((below + " " + diffId).getBytes(StandardCharsets.UTF_8))
                        .toString();
    }

    private interface Download {
        void run() throws IOException;
    }

    private Snapshot unpackLayer(
            LayerBlob layer,
            String chain,
            Snapshot parent,
            Progress progress,
            String whose,
            String claimant,
            Download download)
            throws IOException {
        Descriptor blob = layer.descriptor();
        ReentrantLock lock = unpacking.computeIfAbsent(chain, c -> new ReentrantLock());
        lock.lock();
        try {
            Optional<Snapshot> known = chainSnapshot(chain);
            if (known.isPresent()) {
                return known.get();
            }
            if (!content.exists(blob.digest())) {
                download.run();
            }
            progress.log("unpacking " + blob.digest());
            AppliedLayer[] applied = new AppliedLayer[1];
            Snapshot made = snapshotter.importLayer(parent, dir -> {
                try (InputStream in = content.open(blob.digest())) {
                    applied[0] = LayerUnpacker.apply(in, blob.mediaType(), dir);
                }
            });
            if (!applied[0].diffId().equals(layer.diffId())) {
                snapshotter.remove(made.id());
                throw new IOException("layer " + blob.digest() + " " + whose + " unpacks to " + applied[0].diffId()
                        + " but " + claimant + " says " + layer.diffId());
            }
            recordLayer(made.layers().getLast(), layer);
            AtomicWrite.write(
                    chains.resolve(Digest.parse(chain).hex()), made.id().getBytes(StandardCharsets.UTF_8));
            return made;
        } finally {
            lock.unlock();
        }
    }

    private Optional<Snapshot> chainSnapshot(String chain) throws IOException {
        Path file = chains.resolve(Digest.parse(chain).hex());
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        return snapshotter.load(Files.readString(file, StandardCharsets.UTF_8).trim());
    }

    private static String repository(ImageReference reference) {
        return reference.domain() + "/" + reference.path();
    }

    /** The blob a snapshot layer is known as, from a pull or an earlier export. */
    public Optional<LayerBlob> blobOf(String layerId) throws IOException {
        return readLayerRecord(layers.resolve(layerId));
    }

    /** Remembers what a snapshot layer is as a blob (written atomically). */
    public void recordLayer(String layerId, LayerBlob blob) throws IOException {
        writeLayerRecord(layers.resolve(layerId), blob);
    }

    /**
     * The blob Kiln wrote for a snapshot layer in one form: {@code variant} names it (compression, level and
     * clamp time, as the exporter spells them), so an export asking for the same form reuses the blob while an
     * export asking for another gets its own, and neither replaces the blob the layer was pulled as.
     */
    public Optional<LayerBlob> blobOf(String layerId, String variant) throws IOException {
        return readLayerRecord(layers.resolve(layerId + "@" + checkedVariant(variant)));
    }

    /** Remembers the blob of one form of a snapshot layer (written atomically). */
    public void recordLayer(String layerId, String variant, LayerBlob blob) throws IOException {
        writeLayerRecord(layers.resolve(layerId + "@" + checkedVariant(variant)), blob);
    }

    /** Writes a layer's blob in one form; called by {@link #layerBlob} when no one else is writing it. */
    @FunctionalInterface
    public interface LayerBlobWrite {
        LayerBlob write() throws IOException, InterruptedException;
    }

    /**
     * The blob of a snapshot layer in the form {@code variant} names: the recorded one, or the one {@code write}
     * makes and this method records. One write per layer and form runs at a time: whoever asks while one runs (an
     * export while the build compresses ahead, two builds exporting one base) waits for its blob instead of
     * compressing the layer again, and writes it itself if that write failed or was cancelled.
     */
    public LayerBlob layerBlob(String layerId, String variant, LayerBlobWrite write)
            throws IOException, InterruptedException {
        String key = layerId + "@" + checkedVariant(variant);
        while (true) {
            Optional<LayerBlob> recorded = blobOf(layerId, variant);
            if (recorded.isPresent()) {
                return recorded.get();
            }
            CompletableFuture<LayerBlob> mine = new CompletableFuture<>();
            CompletableFuture<LayerBlob> running = writing.putIfAbsent(key, mine);
            if (running == null) {
                return writeOnce(key, layerId, variant, write, mine);
            }
            try {
                return running.get();
            } catch (ExecutionException failedOrCancelled) {
                // that writer's error is its own to report; this caller tries for itself
            }
        }
    }

    private LayerBlob writeOnce(
            String key, String layerId, String variant, LayerBlobWrite write, CompletableFuture<LayerBlob> mine)
            throws IOException, InterruptedException {
        try {
            // a writer that finished between the lookup and the claim has recorded its blob
            Optional<LayerBlob> recorded = blobOf(layerId, variant);
            LayerBlob blob = recorded.isPresent() ? recorded.get() : write.write();
            if (recorded.isEmpty()) {
                recordLayer(layerId, variant, blob);
            }
            mine.complete(blob);
            return blob;
        } catch (IOException | InterruptedException | RuntimeException | Error e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            writing.remove(key, mine);
        }
    }

    private static String checkedVariant(String variant) {
        if (variant == null || !variant.matches("[a-z0-9][a-z0-9.+-]{0,63}")) {
            throw new IllegalArgumentException(
                    "layer variant \"" + variant + "\" must be 1-64 characters of a-z, 0-9, '.', '+' and '-'");
        }
        return variant;
    }

    /** The largest blob a sweep reads to see whether it is a manifest or an index. */
    private static final long MAX_DOCUMENT = 1 << 20;

    /** What a sweep of the content store deleted. */
    public record Swept(int blobs, long bytes) {

        public static final Swept NONE = new Swept(0, 0);

        public Swept plus(Swept other) {
            return new Swept(blobs + other.blobs, bytes + other.bytes);
        }
    }

    /**
     * The content store's blobs as a sweep would see them now: all of them, and those it would delete.
     *
     * @param blobs             how many blobs the store holds
     * @param bytes             their bytes on disk
     * @param unreferencedBlobs how many of them nothing refers to (a sweep now would delete them)
     * @param unreferencedBytes their bytes
     * @param created           when the store was made, for listings
     */
    public record ContentUse(int blobs, long bytes, int unreferencedBlobs, long unreferencedBytes, Instant created) {

        public ContentUse {
            if (unreferencedBlobs > blobs || unreferencedBytes > bytes) {
                throw new IllegalArgumentException("more unreferenced blobs than blobs");
            }
            Objects.requireNonNull(created, "created");
        }

        /** Bytes of the blobs something refers to: a sweep keeps them until that goes. */
        public long referencedBytes() {
            return bytes - unreferencedBytes;
        }

        public int referencedBlobs() {
            return blobs - unreferencedBlobs;
        }
    }

    /**
     * Deletes the blobs nothing on this state refers to any more, and the records that referred to what is gone: the
     * blob of a snapshot layer that still exists is kept (it spares an export the layer's compression), as is every
     * document and layer of a named image and the layers of a deferred result the solver's cache still records.
     * Pulled manifests and configs go too: a build that needs them again fetches them again, as after BuildKit's
     * prune. Only for a state where no build is running: a blob a running pull has just fetched is referred to by
     * nothing yet.
     *
     * @param layerExists whether a snapshot layer of this id is still stored
     * @param liveChains the chain IDs (hex) of the deferred results the solver's cache still records
     */
    public Swept sweep(Predicate<String> layerExists, Set<String> liveChains) throws IOException {
        Map<Digest, Long> stored = content.blobs();
        Set<Digest> kept = kept(stored, layerExists, liveChains, true);
        int blobs = 0;
        long bytes = 0;
        for (Map.Entry<Digest, Long> blob : stored.entrySet()) {
            if (!kept.contains(blob.getKey()) && content.delete(blob.getKey())) {
                blobs++;
                bytes += blob.getValue();
            }
        }
        return new Swept(blobs, bytes);
    }

    /**
     * What {@link #sweep} with the same arguments would find now, deleting nothing; safe while builds run (a blob a
     * running pull has just fetched then counts as unreferenced). When a name record is unreadable no blob counts as
     * unreferenced, as a sweep would then delete none.
     */
    public ContentUse use(Predicate<String> layerExists, Set<String> liveChains) throws IOException {
        Map<Digest, Long> stored = content.blobs();
        long bytes = stored.values().stream().mapToLong(Long::longValue).sum();
        Set<Digest> kept;
        try {
            kept = kept(stored, layerExists, liveChains, false);
        } catch (UnreadableName unknown) {
            kept = stored.keySet();
        }
        int unreferenced = 0;
        long unreferencedBytes = 0;
        for (Map.Entry<Digest, Long> blob : stored.entrySet()) {
            if (!kept.contains(blob.getKey())) {
                unreferenced++;
                unreferencedBytes += blob.getValue();
            }
        }
        return new ContentUse(stored.size(), bytes, unreferenced, unreferencedBytes, created());
    }

    /** When the content store was made (its directory's birth time, or its last change where none is kept). */
    private Instant created() throws IOException {
        return Files.readAttributes(content.root(), BasicFileAttributes.class)
                .creationTime()
                .toInstant();
    }

    /** An image name record that cannot be read: which blobs it keeps is unknown. */
    private static final class UnreadableName extends IOException {
        UnreadableName(Path record, RuntimeException cause) {
            super("image name record " + record + " is unreadable, so no blob is deleted", cause);
        }
    }

    /**
     * The stored blobs something refers to. With {@code tidy} it also deletes the layer records of layers gone and
     * the pending chains no cache record names, which a sweep no longer needs.
     */
    private Set<Digest> kept(
            Map<Digest, Long> stored, Predicate<String> layerExists, Set<String> liveChains, boolean tidy)
            throws IOException {
        Set<Digest> kept = new HashSet<>();
        for (Path record : recordFiles(layers)) {
            String layerId = record.getFileName().toString().split("@", 2)[0];
            if (!layerExists.test(layerId)) {
                if (tidy) {
                    Files.deleteIfExists(record);
                }
                continue;
            }
            try {
                kept.add(Descriptor.parse(Files.readAllBytes(record), "layer record " + record)
                        .digest());
            } catch (java.nio.file.NoSuchFileException gone) {
                // a sweep removed it meanwhile: its layer is gone
            } catch (RuntimeException corrupt) {
                if (tidy) {
                    Files.deleteIfExists(record); // it could only ever cost one compression
                }
            }
        }
        for (Path record : recordFiles(pending)) {
            String chain = record.getFileName().toString();
            if (!liveChains.contains(chain)) {
                if (tidy) {
                    Files.deleteIfExists(record);
                }
                continue;
            }
            try {
                for (LayerBlob layer : PendingChain.read(Files.readAllBytes(record), record)) {
                    kept.add(layer.descriptor().digest());
                }
            } catch (java.nio.file.NoSuchFileException gone) {
                // unpacked or swept meanwhile: its layers are kept by their layer records, or by nothing
            }
        }
        for (Path record : recordFiles(names)) {
            try {
                keepClosure(Descriptor.parse(Files.readAllBytes(record), "image name record " + record), kept);
            } catch (RuntimeException unreadable) {
                // which blobs the name keeps is unknown: delete none rather than a named image's
                throw new UnreadableName(record, unreadable);
            }
        }
        keepDocumentsOfKeptLayers(stored, kept);
        return kept;
    }

    /**
     * Keeps the manifest and config of each image whose layers are all kept, and an index above a kept manifest: an
     * image pinned by digest whose layers are still unpacked then resolves again without its registry.
     */
    private void keepDocumentsOfKeptLayers(Map<Digest, Long> stored, Set<Digest> kept) throws IOException {
        List<ImageIndex> indexes = new ArrayList<>();
        Map<ImageIndex, Digest> indexDigests = new HashMap<>();
        for (Map.Entry<Digest, Long> blob : stored.entrySet()) {
            if (kept.contains(blob.getKey()) || blob.getValue() > MAX_DOCUMENT) {
                continue;
            }
            switch (documentOrNull(blob.getKey())) {
                case ImageManifest manifest
                when manifest.layers().stream().allMatch(layer -> kept.contains(layer.digest())) -> {
                    kept.add(blob.getKey());
                    kept.add(manifest.config().digest());
                }
                case ImageIndex index -> {
                    indexes.add(index);
                    indexDigests.put(index, blob.getKey());
                }
                case null, default -> {}
            }
        }
        for (ImageIndex index : indexes) {
            if (index.manifests().stream().anyMatch(child -> kept.contains(child.digest()))) {
                kept.add(indexDigests.get(index));
            }
        }
    }

    /** A small blob read as a manifest or index, or null when it is neither (a layer, a config). */
    private ManifestDocument documentOrNull(Digest digest) {
        try {
            return ManifestDocument.parse(content.read(digest), "", "stored " + digest);
        } catch (IOException | RuntimeException notADocument) {
            return null;
        }
    }

    /** Keeps a manifest or index and everything below it that the store holds. */
    private void keepClosure(Descriptor top, Set<Digest> kept) throws IOException {
        if (!kept.add(top.digest()) || !content.exists(top.digest())) {
            return;
        }
        ManifestDocument document;
        try {
            document = ManifestDocument.parse(content.read(top.digest()), top.mediaType(), "stored " + top.digest());
        } catch (RuntimeException notADocument) {
            return; // a layer or config named as a child: kept above, nothing below it
        }
        switch (document) {
            case ImageIndex index -> {
                for (Descriptor child : index.manifests()) {
                    keepClosure(child, kept);
                }
            }
            case ImageManifest manifest -> {
                kept.add(manifest.config().digest());
                manifest.layers().forEach(layer -> kept.add(layer.digest()));
            }
        }
    }

    /** The record files of a directory, without an atomic write's temporary files. */
    private static List<Path> recordFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(file -> !file.getFileName().toString().startsWith("."))
                    .toList();
        }
    }

    private Optional<LayerBlob> readLayerRecord(Path file) {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            byte[] record = Files.readAllBytes(file);
            Descriptor descriptor = Descriptor.parse(record, "layer record " + file);
            JsonNode node = JSON.readTree(record);
            if (!content.exists(descriptor.digest())) {
                return Optional.empty();
            }
            return Optional.of(new LayerBlob(
                    descriptor,
                    Digest.parse(node.get("diffId").asText()),
                    node.path("repository").asText("")));
        } catch (IOException | RuntimeException corrupt) {
            // A record that cannot be read costs one compression at export time, never a wrong layer.
            return Optional.empty();
        }
    }

    private void writeLayerRecord(Path file, LayerBlob blob) throws IOException {
        Map<String, String> extra = new LinkedHashMap<>();
        extra.put("diffId", blob.diffId().toString());
        extra.put("repository", blob.sourceRepository());
        AtomicWrite.write(file, bare(blob.descriptor()).toJson(extra));
    }

    /**
     * Gives an image whose manifest is in the content store a local name (a reference such as
     * {@code example.com/app:1}; no tag means "latest"), replacing what the name pointed at before.
     */
    public void nameImage(ImageReference name, Descriptor manifest) throws IOException {
        String key = localName(name);
        if (!content.exists(manifest.digest())) {
            throw new IOException("cannot name " + manifest.digest() + " \"" + key
                    + "\": the manifest is not in the content store at " + content.root());
        }
        AtomicWrite.write(names.resolve(nameFile(key)), bare(manifest).toJson(Map.of("name", key)));
    }

    /**
     * A record keeps only what identifies the blob: annotations or a platform given by the document a descriptor was
     * read from are not the blob's, and must not follow it into the manifest of an image exported later.
     */
    private static Descriptor bare(Descriptor descriptor) {
        return Descriptor.of(descriptor.mediaType(), descriptor.digest(), descriptor.size());
    }

    /** The manifest a local name points at, while the manifest is still in the content store. */
    public Optional<Descriptor> namedImage(ImageReference name) throws IOException {
        Path file = names.resolve(nameFile(localName(name)));
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        Descriptor manifest = Descriptor.parse(Files.readAllBytes(file), "image name record " + file);
        return content.exists(manifest.digest()) ? Optional.of(manifest) : Optional.empty();
    }

    private static String localName(ImageReference name) {
        if (!name.digest().isEmpty() && name.tag().isEmpty()) {
            throw new IllegalArgumentException("a local image name needs a tag, not only a digest: " + name);
        }
        return new ImageReference(
                        name.domain(), name.path(), name.withDefaultTag().tag(), "")
                .toString();
    }

    private static String nameFile(String name) {
        return Digest.sha256(name.getBytes(StandardCharsets.UTF_8)).hex();
    }

    /** Where unpacking reports what it does. */
    @FunctionalInterface
    public interface Progress {
        void log(String line);
    }
}
