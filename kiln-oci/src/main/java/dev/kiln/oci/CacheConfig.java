package dev.kiln.oci;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.kiln.core.Digest;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * BuildKit's cache config v0 ({@code application/vnd.buildkit.cacheconfig.v0}, moby/buildkit cache/remotecache/v1):
 * the document a cache export writes beside its layer blobs. {@code layers} are blobs, each with the index of the
 * layer below it ({@code -1} for none); {@code records} are cache keys, each linked to the records of its inputs and
 * optionally carrying results, a result being a layer loaded with all the layers below it.
 */
public record CacheConfig(List<Layer> layers, List<Record> records) {

    public static final String MEDIA_TYPE = "application/vnd.buildkit.cacheconfig.v0";
    /** The image config field under which BuildKit's inline cache keeps its records (exporter/containerimage). */
    public static final String INLINE_FIELD = "moby.buildkit.cache.v0";

    private static final String KIND = "cache config";

    public CacheConfig {
        layers = List.copyOf(layers);
        records = List.copyOf(records);
    }

    /**
     * One layer blob.
     *
     * @param parent the index of the layer below it in {@link #layers()}, or -1
     */
    public record Layer(Digest blob, int parent) {
        public Layer {
            Objects.requireNonNull(blob, "layer blob");
        }
    }

    /**
     * One cache key.
     *
     * @param digest  the key's digest
     * @param results the layers (with those below them) that are this key's result
     * @param inputs  per input index, the records it may come from
     */
    public record Record(Digest digest, List<Result> results, List<List<Input>> inputs) {
        public Record {
            Objects.requireNonNull(digest, "record digest");
            results = List.copyOf(results);
            inputs = inputs.stream().map(List::copyOf).toList();
        }
    }

    /** A result: the index of its top layer in {@link #layers()}, and when it was made (null if unknown). */
    public record Result(int layer, Instant createdAt) {}

    /** A link to the record an input comes from, with the selector it was keyed under ("" for none). */
    public record Input(String selector, int link) {
        public Input {
            selector = selector == null ? "" : selector;
        }
    }

    /**
     * Reads a cache config, checking that every index points inside its array.
     *
     * @throws OciFormatException naming the field that is malformed
     */
    public static CacheConfig parse(byte[] json) {
        JsonFields fields = JsonFields.parse(json, KIND);
        List<JsonFields> layerFields = fields.objects("layers");
        List<JsonFields> recordFields = fields.objects("records");
        List<Layer> layers = layerFields.stream()
                .map(layer -> new Layer(layer.digest("blob"), layer.optionalInt("parent")))
                .toList();
        for (int i = 0; i < layers.size(); i++) {
            int parent = layers.get(i).parent();
            if (parent < -1 || parent >= layers.size() || parent == i) {
                throw new OciFormatException(KIND, "layers[" + i + "].parent", "no layer has index " + parent);
            }
        }
        return new CacheConfig(layers, records(recordFields, layers));
    }

    /**
     * Reads the records of an inline cache (the JSON array an image config carries under
     * {@link #INLINE_FIELD}), whose results index the image's own layers, given here bottom first.
     *
     * @throws OciFormatException naming the field that is malformed
     */
    public static CacheConfig parseInline(List<Layer> layers, byte[] recordsJson) {
        byte[] wrapped = new byte[recordsJson.length + 12];
        byte[] head = "{\"records\":".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        System.arraycopy(head, 0, wrapped, 0, head.length);
        System.arraycopy(recordsJson, 0, wrapped, head.length, recordsJson.length);
        wrapped[wrapped.length - 1] = '}';
        JsonFields fields = JsonFields.parse(wrapped, "inline " + KIND);
        return new CacheConfig(layers, records(fields.objects("records"), layers));
    }

    private static List<Record> records(List<JsonFields> recordFields, List<Layer> layers) {
        List<Record> records = new java.util.ArrayList<>();
        for (int r = 0; r < recordFields.size(); r++) {
            JsonFields record = recordFields.get(r);
            List<Result> results = new java.util.ArrayList<>();
            for (JsonFields result : record.objects("layers")) {
                int layer = result.optionalInt("layer");
                if (layer < 0 || layer >= layers.size()) {
                    throw new OciFormatException(KIND, "records[" + r + "].layers", "no layer has index " + layer);
                }
                results.add(new Result(layer, result.time("createdAt")));
            }
            List<List<Input>> inputs = new java.util.ArrayList<>();
            for (List<JsonFields> links : record.objectArrays("inputs")) {
                List<Input> input = new java.util.ArrayList<>();
                for (JsonFields link : links) {
                    int index = link.optionalInt("link");
                    if (index < 0 || index >= recordFields.size()) {
                        throw new OciFormatException(KIND, "records[" + r + "].inputs", "no record has index " + index);
                    }
                    input.add(new Input(link.string("selector"), index));
                }
                inputs.add(input);
            }
            records.add(new Record(record.digest("digest"), results, inputs));
        }
        return records;
    }

    /** The config as BuildKit's Go structs marshal it (a parent of 0 is left out, as Go's omitempty does). */
    public byte[] toJson() {
        return CanonicalJson.write(this::write);
    }

    private void write(JsonGenerator json) throws IOException {
        json.writeStartObject();
        if (!layers.isEmpty()) {
            json.writeArrayFieldStart("layers");
            for (Layer layer : layers) {
                json.writeStartObject();
                json.writeStringField("blob", layer.blob().toString());
                if (layer.parent() != 0) {
                    json.writeNumberField("parent", layer.parent());
                }
                json.writeEndObject();
            }
            json.writeEndArray();
        }
        if (!records.isEmpty()) {
            json.writeFieldName("records");
            writeRecords(json);
        }
        json.writeEndObject();
    }

    /**
     * The records alone, as a JSON array: what BuildKit's inline cache puts (base64-encoded, as Go marshals a byte
     * slice) into an image config under {@link #INLINE_FIELD}, the layers being the image's own.
     */
    public byte[] recordsJson() {
        return CanonicalJson.write(this::writeRecords);
    }

    private void writeRecords(JsonGenerator json) throws IOException {
        json.writeStartArray();
        for (Record record : records) {
            json.writeStartObject();
            if (!record.results().isEmpty()) {
                json.writeArrayFieldStart("layers");
                for (Result result : record.results()) {
                    json.writeStartObject();
                    json.writeNumberField("layer", result.layer());
                    CanonicalJson.time(json, "createdAt", result.createdAt());
                    json.writeEndObject();
                }
                json.writeEndArray();
            }
            json.writeStringField("digest", record.digest().toString());
            if (!record.inputs().isEmpty()) {
                json.writeArrayFieldStart("inputs");
                for (List<Input> links : record.inputs()) {
                    json.writeStartArray();
                    for (Input link : links) {
                        json.writeStartObject();
                        CanonicalJson.string(json, "selector", link.selector());
                        json.writeNumberField("link", link.link());
                        json.writeEndObject();
                    }
                    json.writeEndArray();
                }
                json.writeEndArray();
            }
            json.writeEndObject();
        }
        json.writeEndArray();
    }
}
