package dev.kiln.worker.image;

import dev.kiln.core.Digest;
import dev.kiln.oci.Descriptor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The record of a deferred result's layers, bottom first: one line a layer, "blob-digest size media-type diff-id".
 * It holds what unpacking needs and nothing more; the blobs themselves stay in the content store.
 */
final class PendingChain {

    private PendingChain() {}

    static byte[] write(List<LayerBlob> layers) {
        StringBuilder text = new StringBuilder();
        for (LayerBlob layer : layers) {
            Descriptor blob = layer.descriptor();
            text.append(String.join(
                            " ",
                            String.valueOf(blob.digest()),
                            String.valueOf(blob.size()),
                            blob.mediaType(),
                            String.valueOf(layer.diffId())))
                    .append('\n');
        }
        return text.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** @throws IOException naming the file when a line is not four fields of the right kinds */
    static List<LayerBlob> read(byte[] record, Path file) throws IOException {
        List<LayerBlob> layers = new ArrayList<>();
        int number = 0;
        for (String line : new String(record, StandardCharsets.UTF_8).split("\n")) {
            number++;
            if (line.isEmpty()) {
                continue;
            }
            String[] fields = line.split(" ");
            try {
                if (fields.length != 4) {
                    throw new IllegalArgumentException("has " + fields.length + " fields, not 4");
                }
                Descriptor blob = Descriptor.of(fields[2], Digest.parse(fields[0]), Long.parseLong(fields[1]));
                layers.add(new LayerBlob(blob, Digest.parse(fields[3]), ""));
            } catch (IllegalArgumentException e) {
                throw new IOException("pending layer record " + file + " line " + number + ": " + e.getMessage(), e);
            }
        }
        return layers;
    }
}
