package dev.kiln.engine.export;

import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import dev.kiln.core.Digest;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.content.BlobWriter;
import dev.kiln.oci.content.ContentStore;
import dev.kiln.oci.layer.DeflateBlocks;
import dev.kiln.oci.layer.LayerCompression;
import dev.kiln.oci.layer.LayerWriteOptions;
import dev.kiln.oci.layer.LayerWriter;
import dev.kiln.oci.layer.StoredDeflateBlocks;
import dev.kiln.oci.layer.WrittenLayer;
import dev.kiln.worker.DeferredSnapshotResult;
import dev.kiln.worker.SnapshotResult;
import dev.kiln.worker.image.ImageStore;
import dev.kiln.worker.image.LayerBlob;
import dev.kiln.worker.snapshot.Snapshot;
import dev.kiln.worker.snapshot.Snapshotter;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.zip.GZIPOutputStream;

/**
 * The layers of a snapshot as image layer blobs, bottom first. A layer already known as a blob is not written
 * again: the blob it was pulled as (when its compression fits, or compression is not forced), or the blob an earlier
 * export wrote in the same form. Every other layer is written as a tar into the content store, streamed, each on its
 * own virtual thread, and remembered for the next export. A gzip layer also reuses the deflated blocks of recent
 * layer blobs where its files are the same ({@link StoredDeflateBlocks}): a COPY of a large tree with one file
 * changed deflates about one block again. Layers with nothing in them are left out, as BuildKit does.
 */
public record ImageLayers(ImageStore images, Snapshotter snapshotter, ImageOptions options, ExportLog log) {

    /** Each snapshot layer in order; {@code layer} is empty for a layer with nothing in it. */
    public record Slot(String layerId, Optional<ImageLayer> layer) {}

    /** Beside the content store: the gzip blocks of recent layer blobs, so a layer that changed a little re-uses them. */
    private static final String DEFLATE_BLOCKS = "deflate-blocks";

    public List<Slot> export(Snapshot snapshot) throws IOException, InterruptedException {
        return export(List.of(snapshot)).getFirst();
    }

    /** The layers of a solver result; see {@link #exportResults}. */
    public List<Slot> export(dev.kiln.solver.Result result) throws IOException, InterruptedException {
        return exportResults(List.of(result)).getFirst();
    }

    /**
     * The layers of several solver results, in their order: for a cache import's result that nothing has unpacked,
     * the blobs it was imported as, when they fit this export's compression (its layers then never touch the disk);
     * for every other result, the layers of its snapshot, through {@link #export(List)}.
     */
    public List<List<Slot>> exportResults(List<dev.kiln.solver.Result> results)
            throws IOException, InterruptedException {
        List<List<Slot>> exported = new ArrayList<>(Collections.nCopies(results.size(), null));
        List<Snapshot> snapshots = new ArrayList<>();
        List<Integer> snapshotAt = new ArrayList<>();
        Instant now = Instant.now();
        for (int i = 0; i < results.size(); i++) {
            Optional<List<Slot>> imported = importedBlobs(results.get(i), now);
            if (imported.isPresent()) {
                exported.set(i, imported.get());
            } else {
                snapshots.add(SnapshotResult.of(results.get(i)));
                snapshotAt.add(i);
            }
        }
        if (snapshots.size() < results.size()) {
            log.line("exporting the layer blobs of the cache import as they are (not unpacked) for "
                    + (results.size() - snapshots.size()) + " of " + results.size()
                    + (results.size() == 1 ? " result" : " results"));
        }
        List<List<Slot>> written = export(snapshots);
        for (int k = 0; k < written.size(); k++) {
            exported.set(snapshotAt.get(k), written.get(k));
        }
        return exported;
    }

    /**
     * A deferred result's blobs as slots, when nothing made its snapshot and each blob is here and fits; never when
     * file times are to be rewritten, which the imported blobs' are not.
     */
    private Optional<List<Slot>> importedBlobs(dev.kiln.solver.Result result, Instant now) {
        if (rewritesTimes()) {
            return Optional.empty();
        }
        if (!(result instanceof DeferredSnapshotResult deferred)
                || deferred.made()
                || !deferred.layers().stream()
                        .allMatch(layer -> fits(layer)
                                && images.content().exists(layer.descriptor().digest()))) {
            return Optional.empty();
        }
        Instant created = options.sourceDateEpoch().orElse(now);
        return Optional.of(deferred.layers().stream()
                .map(layer -> new Slot("", Optional.of(new ImageLayer("", layer, "", created))))
                .toList());
    }

    /**
     * The layers of several snapshots, in their order: a layer they share is written once, and the layers to write
     * are written at the same time, as many at once as the machine has cores (a cache export of a long chain of steps
     * would otherwise compress one step's layer after the other).
     */
    public List<List<Slot>> export(List<Snapshot> snapshots) throws IOException, InterruptedException {
        ExecutorService writers = Executors.newVirtualThreadPerTaskExecutor();
        Semaphore cores = new Semaphore(Math.max(2, Runtime.getRuntime().availableProcessors()));
        try {
            Map<String, Future<Optional<ImageLayer>>> byLayer = new HashMap<>();
            for (Snapshot snapshot : snapshots) {
                for (String layerId : snapshot.layers()) {
                    if (!byLayer.containsKey(layerId)) {
                        byLayer.put(layerId, layer(layerId, writers, cores));
                    }
                }
            }
            List<List<Slot>> exported = new ArrayList<>();
            for (Snapshot snapshot : snapshots) {
                List<Slot> slots = new ArrayList<>();
                for (String layerId : snapshot.layers()) {
                    slots.add(new Slot(layerId, Futures.get(byLayer.get(layerId))));
                }
                exported.add(slots);
            }
            return exported;
        } catch (IOException | InterruptedException | RuntimeException e) {
            writers.shutdownNow(); // the other layers' writers stop; their ingests are discarded
            throw e;
        } finally {
            writers.close();
        }
    }

    /** One layer: empty, known as a blob already, or written on a writer's thread once a core is free. */
    private Future<Optional<ImageLayer>> layer(String layerId, ExecutorService writers, Semaphore cores)
            throws IOException {
        Path dir = snapshotter.layerPath(layerId);
        if (isEmpty(dir)) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        Optional<ImageLayer> known = known(layerId, dir);
        if (known.isPresent()) {
            return CompletableFuture.completedFuture(known);
        }
        return writers.submit(() -> {
            cores.acquire();
            try {
                return Optional.of(write(layerId, dir));
            } finally {
                cores.release();
            }
        });
    }

    private Optional<ImageLayer> known(String layerId, Path dir) throws IOException {
        Optional<LayerBlob> pulled = images.blobOf(layerId);
        if (pulled.isPresent() && fits(pulled.get())) {
            return Optional.of(new ImageLayer(layerId, pulled.get(), "", created(dir)));
        }
        String variant = options.layerVariant();
        return images.blobOf(layerId, variant).map(blob -> new ImageLayer(layerId, blob, variant, created(dir)));
    }

    /** A pulled blob serves unless compression is forced and it has another (an unknown type never serves). */
    private boolean fits(LayerBlob blob) {
        LayerCompression compression;
        try {
            compression = LayerCompression.ofMediaType(blob.descriptor().mediaType());
        } catch (IllegalArgumentException unknownType) {
            return false;
        }
        return !options.forceCompression() || compression == options.compression();
    }

    /**
     * Writes the blob of layer {@code layerId} in this export's form now, unless it is empty or known: a build
     * compresses a step's layer while later steps run ({@link EarlyLayers}), and its export then finds the blob.
     */
    public void writeAhead(String layerId) throws IOException, InterruptedException {
        Path dir = snapshotter.layerPath(layerId);
        if (!isEmpty(dir) && known(layerId, dir).isEmpty()) {
            write(layerId, dir);
        }
    }

    /** A layer's blob in this export's form: written here, or by whoever writes it already (one write at a time). */
    private ImageLayer write(String layerId, Path dir) throws IOException, InterruptedException {
        String variant = options.layerVariant();
        LayerBlob blob = images.layerBlob(layerId, variant, () -> compress(layerId, dir));
        return new ImageLayer(layerId, blob, variant, created(dir));
    }

    private LayerBlob compress(String layerId, Path dir) throws IOException {
        ContentStore content = images.content();
        String variant = options.layerVariant();
        log.line("compressing layer " + layerId + " (" + variant + ")");
        // As in BuildKit, SOURCE_DATE_EPOCH alone leaves file times as they are; rewrite-timestamp clamps them.
        LayerWriteOptions writeOptions = rewritesTimes()
                ? LayerWriteOptions.defaults()
                        .withClamp(options.sourceDateEpoch().get())
                : LayerWriteOptions.defaults();
        Digest digest;
        Digest diffId;
        long size;
        StoredDeflateBlocks blocks = null;
        try (BlobWriter blob = content.writer(null, -1)) {
            if (options.compressionLevel().isEmpty()) {
                if (options.compression() == LayerCompression.GZIP) {
                    blocks = reusableBlocks(content, layerId);
                    writeOptions = writeOptions.withBlocks(blocks == null ? DeflateBlocks.NONE : blocks);
                }
                WrittenLayer written =
                        LayerWriter.write(dir, blob, writeOptions.withCompression(options.compression()));
                diffId = written.diffId();
            } else {
                // LayerWriter compresses at its own levels; for a chosen one it writes the plain tar through ours.
                try (OutputStream compressor = compressor(
                        blob, options.compression(), options.compressionLevel().getAsInt())) {
                    diffId = LayerWriter.write(dir, compressor, writeOptions.withCompression(LayerCompression.NONE))
                            .diffId();
                }
            }
            size = blob.offset();
            digest = blob.commit();
        }
        if (blocks != null) {
            try {
                blocks.remember(digest);
            } catch (IOException e) {
                log.line(
                        "the gzip blocks of layer " + layerId + " are not kept for the next export: " + e.getMessage());
            }
        }
        return new LayerBlob(Descriptor.of(options.compression().ociMediaType(), digest, size), diffId, "");
    }

    /** rewrite-timestamp with a SOURCE_DATE_EPOCH to rewrite to (BuildKit only warns when there is none). */
    private boolean rewritesTimes() {
        return options.rewriteTimestamp() && options.sourceDateEpoch().isPresent();
    }

    /** The deflated blocks of recent layer blobs, or null when they cannot be read: they only save time. */
    private StoredDeflateBlocks reusableBlocks(ContentStore content, String layerId) {
        try {
            return StoredDeflateBlocks.open(content, content.root().resolve(DEFLATE_BLOCKS));
        } catch (IOException e) {
            log.line("layer " + layerId + " is compressed in full: the gzip blocks of earlier layers cannot be read: "
                    + e.getMessage());
            return null;
        }
    }

    /** A compressor at {@code level} that leaves {@code blob} open when it is closed. */
    private static OutputStream compressor(OutputStream blob, LayerCompression compression, int level)
            throws IOException {
        OutputStream shielded = new java.io.FilterOutputStream(blob) {
            @Override
            public void write(byte[] bytes, int offset, int length) throws IOException {
                out.write(bytes, offset, length);
            }

            @Override
            public void close() throws IOException {
                out.flush();
            }
        };
        return switch (compression) {
            case GZIP ->
                new GZIPOutputStream(shielded, 65536) {
                    {
                        def.setLevel(level);
                    }
                };
            case ZSTD -> new ZstdOutputStreamNoFinalizer(shielded, level);
            case NONE -> shielded;
        };
    }

    /** A layer with no entries; overlay's own bookkeeping never makes a layer non-empty. */
    private static boolean isEmpty(Path dir) throws IOException {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException("snapshot layer " + dir + " is missing; the engine state may be damaged "
                    + "(prune the build cache and build again)");
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            return !entries.iterator().hasNext();
        }
    }

    /** When the layer was made, as its directory tells: the time of a history entry made up for it. */
    private static Instant created(Path dir) {
        try {
            return Files.getLastModifiedTime(dir, LinkOption.NOFOLLOW_LINKS)
                    .toInstant()
                    .truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        } catch (IOException e) {
            return Instant.EPOCH;
        }
    }
}
