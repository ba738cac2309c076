package dev.kiln.engine.cache;

import dev.kiln.core.Digest;
import dev.kiln.engine.export.ExportLog;
import dev.kiln.engine.export.ImageLayer;
import dev.kiln.engine.export.ImageLayers;
import dev.kiln.engine.export.ImageOptions;
import dev.kiln.oci.CacheConfig;
import dev.kiln.oci.Descriptor;
import dev.kiln.solver.KeyedStep;
import dev.kiln.solver.Result;
import dev.kiln.worker.Worker;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What every cache export writes, whatever its destination: BuildKit's cache config for a build's steps (one record
 * per step output, linked to the records of its inputs, its result the top of a chain of layers) and the layer blobs
 * the config names, made by the image exporter's code so that a blob the image export compressed is reused.
 *
 * @param layers every layer blob the config names, each once, in the order of the config's layers
 */
public record CacheRecords(CacheConfig config, List<ImageLayer> layers, Map<Digest, Instant> created) {

    public CacheRecords {
        layers = List.copyOf(layers);
        created = Map.copyOf(created);
    }

    /**
     * The steps a cache mode selects: all of them for max; for min only those the final result's outputs
     * ({@code resultKeys}, output keys as the solver gives them) are made from through their inputs' keys.
     */
    public static List<KeyedStep> select(boolean max, List<KeyedStep> steps, Set<String> resultKeys) {
        return max ? steps : leadingTo(steps, resultKeys);
    }

    /** The records and layers of {@code steps}, each step after those it consumes, blobs compressed as asked. */
    public static CacheRecords of(List<KeyedStep> steps, Worker worker, ImageOptions layerOptions, ExportLog log)
            throws IOException, InterruptedException {
        var layers = new ArrayList<CacheConfig.Layer>();
        var layerIndex = new HashMap<String, Integer>();
        var blobs = new LinkedHashMap<Digest, ImageLayer>();
        var created = new HashMap<Digest, Instant>();
        var records = new ArrayList<CacheConfig.Record>();
        var recordIndex = new HashMap<String, Integer>();
        List<Result> outputs = new ArrayList<>();
        for (KeyedStep step : steps) {
            outputs.addAll(step.results());
        }
        Iterator<List<ImageLayers.Slot>> exported = new ImageLayers(
                        worker.images(), worker.snapshotter(), layerOptions, log)
                .exportResults(outputs)
                .iterator();
        for (KeyedStep step : steps) {
            List<List<CacheConfig.Input>> inputs = new ArrayList<>();
            for (KeyedStep.StepInput input : step.inputs()) {
                Integer link = recordIndex.get(KeyedStep.outputKey(input.producerKey(), input.producerOutput()));
                String selector = input instanceof KeyedStep.StepInput.Content content ? content.checksum() : "";
                inputs.add(link == null ? List.of() : List.of(new CacheConfig.Input(selector, link)));
            }
            for (int output = 0; output < step.results().size(); output++) {
                int top = -1;
                for (ImageLayers.Slot slot : exported.next()) {
                    if (slot.layer().isEmpty()) {
                        continue;
                    }
                    ImageLayer layer = slot.layer().get();
                    Digest blob = layer.blob().descriptor().digest();
                    String identity = blob + " " + top;
                    Integer index = layerIndex.get(identity);
                    if (index == null) {
                        index = layers.size();
                        layers.add(new CacheConfig.Layer(blob, top));
                        layerIndex.put(identity, index);
                    }
                    blobs.putIfAbsent(blob, layer);
                    created.putIfAbsent(blob, step.created());
                    top = index;
                }
                List<CacheConfig.Result> results =
                        top == -1 ? List.of() : List.of(new CacheConfig.Result(top, step.created()));
                recordIndex.put(KeyedStep.outputKey(step.key(), output), records.size());
                records.add(new CacheConfig.Record(BuildCache.recordDigest(step.key(), output), results, inputs));
            }
        }
        return new CacheRecords(new CacheConfig(layers, records), List.copyOf(blobs.values()), created);
    }

    /**
     * The layer descriptors a cache manifest (or index) lists, each with its diff ID as
     * {@code containerd.io/uncompressed} and its time as {@code buildkit/createdat}, as BuildKit writes them.
     */
    public List<Descriptor> layerDescriptors(boolean ociMediaTypes) {
        return layers.stream()
                .map(layer -> layer.descriptor(ociMediaTypes)
                        .withAnnotations(Map.of(
                                ImportedCache.UNCOMPRESSED,
                                        layer.blob().diffId().toString(),
                                ImportedCache.CREATED_AT,
                                        created.get(layer.blob().descriptor().digest())
                                                .toString())))
                .toList();
    }

    /**
     * The records as an inline cache for an image whose layers are {@code imageLayers} (bottom first): a result is
     * kept when its chain is the image's bottom layers, its index then the image's; other results are left out, as
     * the image does not carry their blobs. Empty when no result is left.
     */
    public Optional<CacheConfig> inline(List<Digest> imageLayers) {
        List<CacheConfig.Layer> layers = new ArrayList<>();
        for (int i = 0; i < imageLayers.size(); i++) {
            layers.add(new CacheConfig.Layer(imageLayers.get(i), i - 1));
        }
        List<CacheConfig.Record> records = new ArrayList<>();
        boolean anyResult = false;
        for (CacheConfig.Record record : config.records()) {
            List<CacheConfig.Result> results = new ArrayList<>();
            for (CacheConfig.Result result : record.results()) {
                List<Digest> chain = chain(result.layer());
                if (chain.size() <= imageLayers.size()
                        && imageLayers.subList(0, chain.size()).equals(chain)) {
                    results.add(new CacheConfig.Result(chain.size() - 1, result.createdAt()));
                }
            }
            anyResult |= !results.isEmpty();
            records.add(new CacheConfig.Record(record.digest(), results, record.inputs()));
        }
        return anyResult ? Optional.of(new CacheConfig(layers, records)) : Optional.empty();
    }

    /** The blobs of a result, bottom first. */
    private List<Digest> chain(int top) {
        List<Digest> chain = new ArrayList<>();
        for (int index = top; index != -1; index = config.layers().get(index).parent()) {
            chain.addFirst(config.layers().get(index).blob());
        }
        return chain;
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
}
