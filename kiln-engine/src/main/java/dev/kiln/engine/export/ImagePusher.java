package dev.kiln.engine.export;

import dev.kiln.core.ImageReference;
import dev.kiln.engine.attest.AttestationManifest;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.content.ContentStore;
import dev.kiln.oci.registry.CredentialSource;
import dev.kiln.oci.registry.DockerConfig;
import dev.kiln.oci.registry.PushResult;
import dev.kiln.oci.registry.RegistryClient;
import dev.kiln.worker.BuildSession;
import dev.kiln.worker.TransferRate;
import dev.kiln.worker.image.ImageStore;
import dev.kiln.worker.image.LayerBlob;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Pushes an assembled image to the repository of each of its names: the layers (each on its own virtual thread;
 * one the repository has is not sent, one pulled from another repository of the same registry is mounted from it),
 * then the config, then the manifest under each name's tag. A cache export pushes its manifest the same way.
 */
public record ImagePusher(RegistryClient registry, ImageStore images, ExportLog log) {

    /**
     * Pushes {@code image} as each of {@code names} and returns the descriptor of what the names point at. An index's
     * images go first, each manifest by its digest, so the registry has all that the index names when it gets it.
     */
    Descriptor push(ExportedImage image, List<ImageReference> names) throws IOException, InterruptedException {
        return push(image, names, false);
    }

    /** As above; {@code byDigestOnly} pushes the image's own manifest by its digest too, tagging nothing. */
    Descriptor push(ExportedImage image, List<ImageReference> names, boolean byDigestOnly)
            throws IOException, InterruptedException {
        Map<String, List<ImageReference>> byRepository = new LinkedHashMap<>();
        for (ImageReference name : names) {
            byRepository.computeIfAbsent(name.name(), key -> new ArrayList<>()).add(name.withDefaultTag());
        }
        for (List<ImageReference> tags : byRepository.values()) {
            ImageReference repository = tags.getFirst();
            switch (image) {
                case AssembledImage single -> pushBlobs(single.layers(), single.configDescriptor(), repository);
                case AssembledIndex index -> {
                    for (AssembledImage platform : index.images()) {
                        pushBlobs(platform.layers(), platform.configDescriptor(), repository);
                        Descriptor manifest = platform.manifestDescriptor();
                        pushManifest(byDigest(repository, manifest), manifest);
                    }
                    for (AttestationManifest attestation : index.attestations()) {
                        ContentStore content = images.content();
                        for (Descriptor layer : attestation.layers()) {
                            registry.pushBlob(repository, layer, () -> content.open(layer.digest()));
                        }
                        registry.pushBlob(
                                repository,
                                attestation.config(),
                                () -> content.open(attestation.config().digest()));
                        pushManifest(byDigest(repository, attestation.descriptor()), attestation.descriptor());
                    }
                }
            }
            if (byDigestOnly) {
                pushManifest(byDigest(repository, image.descriptor()), image.descriptor());
                continue;
            }
            for (ImageReference tag : tags) {
                pushManifest(tag, image.descriptor());
            }
        }
        return image.descriptor();
    }

    private static ImageReference byDigest(ImageReference repository, Descriptor manifest) {
        return new ImageReference(
                repository.domain(), repository.path(), "", manifest.digest().toString());
    }

    /**
     * Pushes a manifest or index of the content store under {@code tag}, after the layers and the config it names
     * (all of them in the content store too).
     */
    public void push(ImageReference tag, List<ImageLayer> layers, Descriptor config, Descriptor manifest)
            throws IOException, InterruptedException {
        pushBlobs(layers, config, tag);
        pushManifest(tag, manifest);
    }

    private void pushManifest(ImageReference tag, Descriptor manifest) throws IOException {
        log.line("pushing manifest for "
                + (tag.tag().isEmpty() ? tag.name() : tag.toString())
                + "@"
                + manifest.digest());
        Descriptor pushed = registry.pushManifest(
                tag, manifest.mediaType(), images.content().read(manifest.digest()));
        if (!pushed.digest().equals(manifest.digest())) {
            throw new IOException(
                    "the manifest pushed as " + tag + " has digest " + pushed.digest() + ", not " + manifest.digest());
        }
    }

    /**
     * A client for registries reached over plain HTTP or with an unverified certificate ({@code registry.insecure}),
     * with the build's client's credentials, or this process's when the client has none to give.
     */
    public static RegistryClient insecureClient(BuildSession session, Set<String> registries) throws IOException {
        Optional<CredentialSource> clients = session.client().registryCredentials();
        return RegistryClient.builder()
                .credentials(clients.isPresent() ? clients.get() : DockerConfig.fromEnvironment())
                .insecure(registries)
                .build();
    }

    private void pushBlobs(List<ImageLayer> imageLayers, Descriptor config, ImageReference repository)
            throws IOException, InterruptedException {
        ContentStore content = images.content();
        ExecutorService pushers = Executors.newVirtualThreadPerTaskExecutor();
        try {
            List<Future<?>> layers = new ArrayList<>();
            for (ImageLayer layer : imageLayers) {
                layers.add(pushers.submit(() -> pushLayer(layer, repository, content)));
            }
            for (Future<?> layer : layers) {
                Futures.get(layer);
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            pushers.shutdownNow();
            throw e;
        } finally {
            pushers.close();
        }
        registry.pushBlob(repository, config, () -> content.open(config.digest()));
    }

    private Void pushLayer(ImageLayer layer, ImageReference repository, ContentStore content) throws IOException {
        LayerBlob blob = layer.blob();
        Descriptor descriptor = blob.descriptor();
        ImageReference mountFrom = mountSource(blob, repository);
        long started = System.nanoTime();
        PushResult result =
                registry.pushBlob(repository, descriptor, () -> content.open(descriptor.digest()), mountFrom);
        long nanos = System.nanoTime() - started;
        log.line(
                switch (result) {
                    case ALREADY_PRESENT -> "layer " + descriptor.digest() + " already in " + repository.name();
                    case MOUNTED -> "layer " + descriptor.digest() + " mounted from " + mountFrom.name();
                    case UPLOADED ->
                        "layer " + descriptor.digest() + " pushed: " + TransferRate.describe(descriptor.size(), nanos);
                });
        if (!layer.pulled() && blob.sourceRepository().isEmpty()) {
            // The next push of this blob to another repository of the registry can mount it from here.
            images.recordLayer(
                    layer.layerId(), layer.variant(), new LayerBlob(descriptor, blob.diffId(), repository.name()));
        }
        return null;
    }

    /** The repository a blob came from, when it is on the registry being pushed to. */
    private static ImageReference mountSource(LayerBlob blob, ImageReference repository) {
        if (blob.sourceRepository().isEmpty()) {
            return null;
        }
        try {
            ImageReference source = ImageReference.parseNormalized(blob.sourceRepository());
            return source.domain().equals(repository.domain()) ? source : null;
        } catch (IllegalArgumentException unreadable) {
            return null;
        }
    }
}
