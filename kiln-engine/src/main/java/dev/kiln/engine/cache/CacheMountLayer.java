package dev.kiln.engine.cache;

import dev.kiln.core.Digest;
import dev.kiln.engine.export.ImageLayer;
import dev.kiln.engine.export.ImageOptions;
import dev.kiln.llb.LlbGraph;
import dev.kiln.llb.LlbVertex;
import dev.kiln.llb.pb.Mount;
import dev.kiln.llb.pb.MountType;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.content.BlobWriter;
import dev.kiln.oci.layer.LayerWriteOptions;
import dev.kiln.oci.layer.LayerWriter;
import dev.kiln.worker.Worker;
import dev.kiln.worker.image.LayerBlob;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The contents of a {@code RUN --mount=type=cache} directory carried by a cache export ({@code cache-mounts=true}),
 * Kiln's addition to BuildKit's format, so that a CI job on a fresh machine starts with a warm package cache.
 *
 * <p>Each mount is one more layer of the cache manifest: a tar of the directory, annotated with the mount's id under
 * {@link #ID_ANNOTATION}. No cache record names it, so BuildKit, which loads only the layers its records name,
 * ignores it; Kiln's import unpacks it into the mount's directory when this state has none by that id
 * ({@link ImportedCache#restoreCacheMounts}).
 *
 * @param id    the cache mount's id (its target path when the Dockerfile gave none), as the worker keys mounts
 * @param layer the directory's tar blob in the content store
 */
public record CacheMountLayer(String id, ImageLayer layer) {

    /** The manifest annotation that marks a layer as a cache mount's contents and names the mount. */
    public static final String ID_ANNOTATION = "dev.kiln.cache-mount.id";

    /** The ids of the cache mounts that the build's steps mount, sorted. */
    public static Set<String> idsOf(List<LlbGraph> graphs) {
        Set<String> ids = new TreeSet<>();
        for (LlbGraph graph : graphs) {
            for (LlbVertex vertex : graph.vertices()) {
                if (!vertex.op().hasExec()) {
                    continue;
                }
                for (Mount mount : vertex.op().getExec().getMountsList()) {
                    if (mount.getMountType() == MountType.CACHE) {
                        String id = mount.getCacheOpt().getID();
                        ids.add(id.isEmpty() ? mount.getDest() : id);
                    }
                }
            }
        }
        return ids;
    }

    /**
     * Packs the directory of each mount in {@code ids} that this state has into a layer blob, compressed as
     * {@code options} say; a mount no step has made yet is left out.
     */
    public static List<CacheMountLayer> write(Set<String> ids, Worker worker, ImageOptions options) throws IOException {
        List<CacheMountLayer> layers = new ArrayList<>();
        for (String id : ids) {
            Optional<Path> dir = worker.cacheMounts().directory(id);
            if (dir.isEmpty()) {
                continue;
            }
            Digest digest;
            Digest diffId;
            long size;
            try (BlobWriter blob = worker.images().content().writer(null, -1)) {
                diffId = LayerWriter.write(
                                dir.get(), blob, LayerWriteOptions.defaults().withCompression(options.compression()))
                        .diffId();
                size = blob.offset();
                digest = blob.commit();
            }
            LayerBlob blob =
                    new LayerBlob(Descriptor.of(options.compression().ociMediaType(), digest, size), diffId, "");
            layers.add(new CacheMountLayer(id, new ImageLayer("cache-mount " + id, blob, "", Instant.now())));
        }
        return layers;
    }

    /** The descriptor the cache manifest lists: the layer's, with the mount's id and the blob's diff ID. */
    public Descriptor descriptor(boolean ociMediaTypes) {
        return layer.descriptor(ociMediaTypes)
                .withAnnotations(Map.of(
                        ID_ANNOTATION,
                        id,
                        ImportedCache.UNCOMPRESSED,
                        layer.blob().diffId().toString()));
    }
}
