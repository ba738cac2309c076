package dev.kiln.engine.cache;

import dev.kiln.core.Digest;
import dev.kiln.engine.export.ExportLog;
import dev.kiln.oci.CacheConfig;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.ImageManifest;
import dev.kiln.oci.LayoutIndex;
import dev.kiln.oci.MediaTypes;
import dev.kiln.solver.KeyedStep;
import dev.kiln.worker.ClientContentStore;
import dev.kiln.worker.Worker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Writes a build's cache to a directory as BuildKit's local cache exporter does: an OCI image layout whose
 * index.json names, under its tag, an image manifest with the cache config as config and the layer blobs as layers
 * (each with its diff ID as {@code containerd.io/uncompressed} and its time as {@code buildkit/createdat}).
 *
 * <p>Layer blobs come from the image exporter's code and its record of blobs already written: a layer the image
 * export (or an earlier cache export) compressed is not compressed again, only linked into the directory. Blobs are
 * written before the documents that name them and index.json last, each atomically, so a reader sees the old cache
 * or the new one.
 */
public final class LocalCacheExporter {

    private LocalCacheExporter() {}

    /**
     * Exports the steps {@code spec}'s mode selects: all of them for max, for min only those the final result's
     * outputs ({@code resultKeys}, output keys as the solver gives them) are made from through their inputs' keys.
     * With {@code client}, the store at the client's end that holds {@code spec}'s directory, the blobs go there and
     * index.json is the client's to write.
     *
     * @return the cache manifest's descriptor, which the build answers as {@code cache.manifest}
     */
    public static Descriptor export(
            CacheExport.Local spec,
            List<KeyedStep> steps,
            Set<String> resultKeys,
            Set<String> cacheMountIds,
            Worker worker,
            Optional<ClientContentStore> client,
            ExportLog log)
            throws IOException, InterruptedException {
        CacheRecords cache =
                CacheRecords.of(CacheRecords.select(spec.max(), steps, resultKeys), worker, spec.layers(), log);
        BlobSink sink = client.isPresent() ? clientSink(client.get()) : directorySink(spec.dest());
        List<Descriptor> layerDescriptors = new ArrayList<>(cache.layerDescriptors(true));
        List<CacheMountLayer> mounts =
                spec.cacheMounts() ? CacheMountLayer.write(cacheMountIds, worker, spec.layers()) : List.of();
        for (CacheMountLayer mount : mounts) {
            layerDescriptors.add(mount.descriptor(true));
        }
        for (Descriptor layer : layerDescriptors) {
            sink.file(layer.digest(), worker.images().content().blobPath(layer.digest()));
        }
        byte[] config = cache.config().toJson();
        Descriptor configDescriptor = Descriptor.of(CacheConfig.MEDIA_TYPE, config);
        sink.bytes(configDescriptor.digest(), config);
        byte[] manifest = ImageManifest.oci(configDescriptor, layerDescriptors).toJson();
        Descriptor manifestDescriptor = Descriptor.of(MediaTypes.OCI_MANIFEST, manifest);
        sink.bytes(manifestDescriptor.digest(), manifest);
        if (client.isEmpty()) {
            new LayoutIndex(spec.dest()).put(manifestDescriptor, spec.tag());
        }
        log.line("wrote " + cache.config().records().size() + " cache records and " + layerDescriptors.size()
                + " layers" + (mounts.isEmpty() ? "" : " (" + mounts.size() + " of them cache mounts)") + " to "
                + (client.isPresent() ? "the client's " : "") + spec.dest() + " (manifest "
                + manifestDescriptor.digest() + ")");
        return manifestDescriptor;
    }

    /** Where the blobs of an export go: a directory here, or the client's store. */
    private interface BlobSink {
        void file(Digest digest, Path stored) throws IOException;

        void bytes(Digest digest, byte[] bytes) throws IOException;
    }

    private static BlobSink directorySink(Path dest) throws IOException {
        Path blobs = Files.createDirectories(dest.resolve("blobs").resolve("sha256"));
        return new BlobSink() {
            @Override
            public void file(Digest digest, Path stored) throws IOException {
                linkBlob(stored, blobs.resolve(digest.hex()));
            }

            @Override
            public void bytes(Digest digest, byte[] bytes) throws IOException {
                writeBlob(blobs, digest, bytes);
            }
        };
    }

    private static BlobSink clientSink(ClientContentStore client) {
        return new BlobSink() {
            @Override
            public void file(Digest digest, Path stored) throws IOException {
                client.write(digest, stored);
            }

            @Override
            public void bytes(Digest digest, byte[] bytes) throws IOException {
                client.write(digest, bytes);
            }
        };
    }

    /** A blob of the content store in the directory: a hard link (blobs never change), a copy across devices. */
    private static void linkBlob(Path stored, Path target) throws IOException {
        if (Files.isRegularFile(target) && Files.size(target) == Files.size(stored)) {
            return;
        }
        Path temporary = target.resolveSibling(".tmp-" + UUID.randomUUID());
        try {
            try {
                Files.createLink(temporary, stored);
            } catch (IOException | UnsupportedOperationException e) {
                Files.copy(stored, temporary);
            }
            Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    private static void writeBlob(Path blobs, Digest digest, byte[] bytes) throws IOException {
        Path target = blobs.resolve(digest.hex());
        if (!Files.isRegularFile(target)) {
            atomicWrite(target, bytes);
        }
    }

    private static void atomicWrite(Path target, byte[] bytes) throws IOException {
        Path temporary = target.resolveSibling(".tmp-" + UUID.randomUUID());
        try {
            Files.write(temporary, bytes);
            try (var channel = java.nio.channels.FileChannel.open(temporary, java.nio.file.StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }
}
