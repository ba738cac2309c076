package dev.kiln.engine.cache;

import dev.kiln.core.ImageReference;
import dev.kiln.engine.export.ExportLog;
import dev.kiln.engine.export.ImagePusher;
import dev.kiln.oci.CacheConfig;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.ImageIndex;
import dev.kiln.oci.ImageManifest;
import dev.kiln.oci.MediaTypes;
import dev.kiln.oci.content.ContentStore;
import dev.kiln.oci.registry.RegistryClient;
import dev.kiln.solver.KeyedStep;
import dev.kiln.worker.BuildSession;
import dev.kiln.worker.Worker;
import dev.kiln.worker.image.ImageStore;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Pushes a build's cache to a registry as BuildKit's registry cache exporter does: the layer blobs (in parallel,
 * each only if the repository lacks it, through the image exporter's pusher), the cache config, then under the
 * ref's tag an OCI image manifest whose config is the cache config (image-manifest=true, the default) or an index
 * listing the layers and the config (image-manifest=false). The registry is reached with the build client's
 * credentials, as an image push is.
 */
public final class RegistryCacheExporter {

    private RegistryCacheExporter() {}

    /** Exports the steps {@code spec}'s mode selects (see {@link CacheRecords#select}). */
    public static void export(
            CacheExport.Registry spec,
            List<KeyedStep> steps,
            Set<String> resultKeys,
            Set<String> cacheMountIds,
            Worker worker,
            BuildSession session,
            ExportLog log)
            throws IOException, InterruptedException {
        ImageReference tag = ImageReference.parseNormalized(spec.ref()).withDefaultTag();
        CacheRecords cache =
                CacheRecords.of(CacheRecords.select(spec.max(), steps, resultKeys), worker, spec.layers(), log);
        List<CacheMountLayer> mounts =
                spec.cacheMounts() ? CacheMountLayer.write(cacheMountIds, worker, spec.layers()) : List.of();
        if (cache.layers().isEmpty() && mounts.isEmpty()) {
            // As BuildKit: a cache without a layer would make nothing load, so nothing is pushed.
            log.line("skipping cache export for a result without layers");
            return;
        }
        ImageStore images = worker.images(session);
        ContentStore content = images.content();
        byte[] config = cache.config().toJson();
        Descriptor configDescriptor = Descriptor.of(CacheConfig.MEDIA_TYPE, content.write(config), config.length);
        List<Descriptor> layers = new ArrayList<>(cache.layerDescriptors(spec.ociMediaTypes()));
        List<dev.kiln.engine.export.ImageLayer> blobs = new ArrayList<>(cache.layers());
        for (CacheMountLayer mount : mounts) {
            layers.add(mount.descriptor(spec.ociMediaTypes()));
            blobs.add(mount.layer());
        }
        byte[] manifest;
        String mediaType;
        if (spec.imageManifest()) {
            manifest = ImageManifest.oci(configDescriptor, layers).toJson();
            mediaType = MediaTypes.OCI_MANIFEST;
        } else {
            List<Descriptor> entries = new ArrayList<>(layers);
            entries.add(configDescriptor);
            ImageIndex index = spec.ociMediaTypes() ? ImageIndex.oci(entries) : ImageIndex.docker(entries);
            manifest = index.toJson();
            mediaType = index.mediaType();
        }
        Descriptor manifestDescriptor = Descriptor.of(mediaType, content.write(manifest), manifest.length);
        if (spec.insecure()) {
            try (RegistryClient insecure = ImagePusher.insecureClient(session, Set.of(tag.domain()))) {
                new ImagePusher(insecure, images, log).push(tag, blobs, configDescriptor, manifestDescriptor);
            }
        } else {
            new ImagePusher(images.registry(), images, log).push(tag, blobs, configDescriptor, manifestDescriptor);
        }
        log.line("pushed " + cache.config().records().size() + " cache records and " + layers.size() + " layers"
                + (mounts.isEmpty() ? "" : " (" + mounts.size() + " of them cache mounts)") + " to "
                + tag + " (" + (spec.imageManifest() ? "image manifest " : "index ") + manifestDescriptor.digest()
                + ")");
    }
}
