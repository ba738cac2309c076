package dev.kiln.engine.cache;

import dev.kiln.core.Digest;
import dev.kiln.engine.export.ExportLog;
import dev.kiln.engine.export.ImageLayer;
import dev.kiln.engine.export.ImageLayers;
import dev.kiln.oci.CacheConfig;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.ImageIndex;
import dev.kiln.oci.ImageManifest;
import dev.kiln.oci.MediaTypes;
import dev.kiln.solver.KeyedStep;
import dev.kiln.solver.Result;
import dev.kiln.worker.SnapshotResult;
import dev.kiln.worker.Worker;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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

    private static final String REF_NAME = "org.opencontainers.image.ref.name";

    private LocalCacheExporter() {
    }

    /**
     * Exports the steps {@code spec}'s mode selects: all of them for max, for min only those the final result's
     * outputs ({@code resultKeys}, output keys as the solver gives them) are made from through their inputs' keys.
     */
    public static void export(CacheExport.Local spec, List<KeyedStep> steps, Set<String> resultKeys, Worker worker,
            ExportLog log) throws IOException, InterruptedException {
        List<KeyedStep> chosen = spec.max() ? steps : leadingTo(steps, resultKeys);
        Path blobs = Files.createDirectories(spec.dest().resolve("blobs").resolve("sha256"));
        var layers = new ArrayList<CacheConfig.Layer>();
        var layerIndex = new HashMap<String, Integer>();
        var layerDescriptors = new LinkedHashMap<Digest, Descriptor>();
        var records = new ArrayList<CacheConfig.Record>();
        var recordIndex = new HashMap<String, Integer>();
        ImageLayers layerWriter = new ImageLayers(worker.images(), worker.snapshotter(), spec.layers(), log);
        for (KeyedStep step : chosen) {
            List<List<CacheConfig.Input>> inputs = new ArrayList<>();
            for (KeyedStep.StepInput input : step.inputs()) {
                Integer link = recordIndex.get(KeyedStep.outputKey(input.producerKey(), input.producerOutput()));
                String selector = input instanceof KeyedStep.StepInput.Content content ? content.checksum() : "";
                inputs.add(link == null ? List.of() : List.of(new CacheConfig.Input(selector, link)));
            }
            for (int output = 0; output < step.results().size(); output++) {
                Result result = step.results().get(output);
                Optional<Integer> top = chain(result, layerWriter, layers, layerIndex, layerDescriptors, step.created());
                List<CacheConfig.Result> results = top.map(index -> List.of(new CacheConfig.Result(index,
                        step.created()))).orElse(List.of());
                recordIndex.put(KeyedStep.outputKey(step.key(), output), records.size());
                records.add(new CacheConfig.Record(BuildCache.recordDigest(step.key(), output), results, inputs));
            }
        }
        for (Descriptor layer : layerDescriptors.values()) {
            linkBlob(worker.images().content().blobPath(layer.digest()), blobs.resolve(layer.digest().hex()));
        }
        byte[] config = new CacheConfig(layers, records).toJson();
        Descriptor configDescriptor = Descriptor.of(CacheConfig.MEDIA_TYPE, config);
        writeBlob(blobs, configDescriptor.digest(), config);
        byte[] manifest = ImageManifest.oci(configDescriptor, List.copyOf(layerDescriptors.values())).toJson();
        Descriptor manifestDescriptor = Descriptor.of(MediaTypes.OCI_MANIFEST, manifest);
        writeBlob(blobs, manifestDescriptor.digest(), manifest);
        writeIndex(spec.dest(), manifestDescriptor.withAnnotations(Map.of(REF_NAME, spec.tag())), spec.tag());
        log.line("wrote " + records.size() + " cache records and " + layerDescriptors.size() + " layers to "
                + spec.dest() + " (manifest " + manifestDescriptor.digest() + ")");
    }

    /** The steps the result outputs come from through key-linked inputs (content-keyed inputs are not followed). */
    private static List<KeyedStep> leadingTo(List<KeyedStep> steps, Set<String> resultKeys) {
        Map<String, KeyedStep> byKey = new HashMap<>();
        for (KeyedStep step : steps) {
            byKey.put(step.key(), step);
        }
        Set<String> wanted = new HashSet<>();
        List<String> pending = new ArrayList<>();
        for (String outputKey : resultKeys) {
            pending.add(outputKey.substring(0, outputKey.lastIndexOf('#')));
        }
        while (!pending.isEmpty()) {
            String key = pending.removeLast();
            KeyedStep step = byKey.get(key);
            if (step == null || !wanted.add(key)) {
                continue;
            }
            for (KeyedStep.StepInput input : step.inputs()) {
                if (input instanceof KeyedStep.StepInput.Linked) {
                    pending.add(input.producerKey());
                }
            }
        }
        return steps.stream().filter(step -> wanted.contains(step.key())).toList();
    }

    /**
     * Adds the result's non-empty layers to the config's layers (each (blob, parent) once) and returns the index of
     * its top layer; empty for a result with no layers.
     */
    private static Optional<Integer> chain(Result result, ImageLayers layerWriter, List<CacheConfig.Layer> layers,
            Map<String, Integer> layerIndex, Map<Digest, Descriptor> descriptors, Instant created)
            throws IOException, InterruptedException {
        int parent = -1;
        for (ImageLayers.Slot slot : layerWriter.export(SnapshotResult.of(result))) {
            if (slot.layer().isEmpty()) {
                continue;
            }
            ImageLayer layer = slot.layer().get();
            Descriptor descriptor = layer.descriptor(true);
            String identity = descriptor.digest() + " " + parent;
            Integer index = layerIndex.get(identity);
            if (index == null) {
                index = layers.size();
                layers.add(new CacheConfig.Layer(descriptor.digest(), parent));
                layerIndex.put(identity, index);
            }
            descriptors.putIfAbsent(descriptor.digest(), descriptor.withAnnotations(Map.of(
                    ImportedCache.UNCOMPRESSED, layer.blob().diffId().toString(),
                    ImportedCache.CREATED_AT, created.toString())));
            parent = index;
        }
        return parent == -1 ? Optional.empty() : Optional.of(parent);
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

    /** index.json with this manifest under the tag, replacing whatever had it; other entries are kept. */
    private static void writeIndex(Path dest, Descriptor manifest, String tag) throws IOException {
        Path file = dest.resolve("index.json");
        List<Descriptor> entries = new ArrayList<>();
        if (Files.isRegularFile(file)) {
            try {
                for (Descriptor entry : ImageIndex.parse(Files.readAllBytes(file), file.toString()).manifests()) {
                    if (!tag.equals(entry.annotations().get(REF_NAME))) {
                        entries.add(entry);
                    }
                }
            } catch (IllegalArgumentException malformed) {
                // An index nobody can read names nothing worth keeping; the new one replaces it.
            }
        }
        entries.add(manifest);
        Path layout = dest.resolve("oci-layout");
        if (!Files.exists(layout)) {
            atomicWrite(layout, "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8));
        }
        atomicWrite(file, ImageIndex.oci(entries).toJson());
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
