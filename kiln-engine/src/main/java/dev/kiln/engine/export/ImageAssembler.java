package dev.kiln.engine.export;

import com.fasterxml.jackson.databind.node.TextNode;
import dev.kiln.core.Platform;
import dev.kiln.engine.attest.AttestationManifest;
import dev.kiln.engine.attest.InTotoStatement;
import dev.kiln.engine.gateway.SolvedReference;
import dev.kiln.gateway.Attestation;
import dev.kiln.gateway.GatewayException;
import dev.kiln.gateway.Reference;
import dev.kiln.gateway.Result;
import dev.kiln.oci.CacheConfig;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.ImageConfig;
import dev.kiln.oci.ImageIndex;
import dev.kiln.oci.ImageManifest;
import dev.kiln.oci.MediaTypes;
import dev.kiln.oci.content.ContentStore;
import dev.kiln.worker.Worker;
import dev.kiln.worker.snapshot.Snapshot;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * Makes an image of a build result: its layers as blobs ({@link ImageLayers}), its config ({@link ImageConfigs}),
 * and an OCI or Docker manifest of them, all stored in the engine's content store.
 */
final class ImageAssembler {

    /** The metadata key under which a frontend hands over the image config, as in BuildKit. */
    static final String CONFIG_KEY = "containerimage.config";

    /** The metadata key under which a frontend tells the config of the image the result was built on. */
    static final String BASE_CONFIG_KEY = "containerimage.base.config";

    private ImageAssembler() {}

    static AssembledImage assemble(Result result, Worker worker, ImageOptions options, ExportLog log)
            throws IOException, InterruptedException {
        return assemble(result, worker, options, log, InlineCache.NONE);
    }

    /** As above, the config carrying {@code inline}'s records for the image's layers under BuildKit's field. */
    static AssembledImage assemble(
            Result result, Worker worker, ImageOptions options, ExportLog log, InlineCache inline)
            throws IOException, InterruptedException {
        return assemble(
                layersOf(result),
                new ImageConfigs.FrontendConfigs(result.metadata(CONFIG_KEY), result.metadata(BASE_CONFIG_KEY)),
                Platform.current(),
                worker,
                options,
                log,
                inline);
    }

    /**
     * The image of a single-image result, or the index of a result with one reference per platform: each
     * platform's image from its reference and its config ({@code containerimage.config/<platform>}), and an OCI
     * index (a Docker manifest list with Docker's media types) listing their manifests with their platforms.
     *
     * <p>A result with attestations is always an index, as in BuildKit, also for one platform: after the images it
     * lists each image's {@link AttestationManifest}, whose statements name the image by each of {@code names}. The
     * index and manifests then have OCI media types whatever the options say, as BuildKit forces them for
     * attestations.
     */
    static ExportedImage assembleAll(
            Result result, Worker worker, ImageOptions options, ExportLog log, InlineCache inline, List<String> names)
            throws IOException, InterruptedException {
        Optional<ResultPlatforms> platforms = ResultPlatforms.of(result);
        boolean attested = result.attestations().values().stream().anyMatch(list -> !list.isEmpty());
        if (attested && !options.ociMediaTypes()) {
            log.line("forcibly turning on oci-mediatype mode for attestations");
            options = options.withOciMediaTypes(true);
        }
        checkAnnotatedPlatforms(
                options.annotations(),
                platforms
                        .map(all -> all.platforms().stream()
                                .map(part -> part.platform().normalize())
                                .toList())
                        .orElse(List.of(Platform.current().normalize())));
        if (platforms.isEmpty()) {
            AssembledImage single = assemble(result, worker, options, log, inline);
            if (!attested) {
                if (options.annotations().needIndex()) {
                    throw new GatewayException("annotation-index and annotation-index-descriptor need an index, "
                            + "which a single-platform image without attestations has not (as in BuildKit)");
                }
                return single;
            }
            Platform platform = single.config().platform().normalize();
            List<Attestation> attestations = result.attestations().values().stream()
                    .flatMap(List::stream)
                    .toList();
            return index(
                    List.of(single),
                    List.of(single.manifestDescriptor().withPlatform(platform)),
                    List.of(attestations),
                    names,
                    worker,
                    options,
                    log);
        }
        platforms.get().evaluate();
        List<AssembledImage> images = new ArrayList<>();
        List<Descriptor> manifests = new ArrayList<>();
        List<List<Attestation>> attestations = new ArrayList<>();
        for (ResultPlatforms.PlatformPart part : platforms.get().platforms()) {
            log.line("exporting " + part.id());
            AssembledImage image = assemble(
                    layersOf(part.ref()),
                    new ImageConfigs.FrontendConfigs(part.config(), part.baseConfig()),
                    part.platform(),
                    worker,
                    options,
                    log,
                    inline);
            images.add(image);
            manifests.add(image.manifestDescriptor().withPlatform(part.platform()));
            attestations.add(result.attestations().getOrDefault(part.id(), List.of()));
        }
        return index(images, manifests, attestations, names, worker, options, log);
    }

    /** An annotation for a platform the result has no image for is refused, as BuildKit refuses it. */
    private static void checkAnnotatedPlatforms(ImageAnnotations annotations, List<Platform> platforms) {
        for (Platform annotated : annotations.platforms()) {
            if (!platforms.contains(annotated)) {
                throw new GatewayException("an annotation is for platform " + annotated
                        + ", which the result has no image for (it has " + platforms + ")");
            }
        }
    }

    /**
     * The index of {@code images} (listed as {@code manifests}), and after them the attestation manifest of each
     * image that has attestations.
     */
    private static AssembledIndex index(
            List<AssembledImage> images,
            List<Descriptor> manifests,
            List<List<Attestation>> attestations,
            List<String> names,
            Worker worker,
            ImageOptions options,
            ExportLog log)
            throws IOException {
        ContentStore content = worker.images().content();
        List<Descriptor> entries = new ArrayList<>(manifests);
        List<AttestationManifest> attestationManifests = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            if (attestations.get(i).isEmpty()) {
                continue;
            }
            Descriptor image = manifests.get(i);
            List<InTotoStatement.Subject> subjects = new ArrayList<>();
            for (String name : names) {
                if (!name.isEmpty()) {
                    subjects.add(InTotoStatement.Subject.image(name, image.platform(), image.digest()));
                }
            }
            List<InTotoStatement> statements = new ArrayList<>();
            for (Attestation attestation : attestations.get(i)) {
                statements.add(InTotoStatement.of(
                        attestation.predicateType(),
                        subjects,
                        attestation
                                .content()
                                .orElseThrow(() -> new IllegalStateException(
                                        "attestation " + attestation.path() + " was not made before the export"))));
            }
            AttestationManifest manifest = AttestationManifest.write(image, statements, content);
            log.line("exporting attestation manifest " + manifest.descriptor().digest());
            attestationManifests.add(manifest);
            entries.add(manifest.descriptor());
        }
        ImageIndex index = options.ociMediaTypes()
                ? ImageIndex.oci(entries).withAnnotations(options.annotations().of(ImageAnnotations.Kind.INDEX))
                : ImageIndex.docker(entries);
        byte[] indexJson = index.toJson();
        Descriptor indexDescriptor = Descriptor.of(index.contentType(), content.write(indexJson), indexJson.length)
                .withAnnotations(options.annotations().of(ImageAnnotations.Kind.INDEX_DESCRIPTOR));
        log.line("exporting manifest list " + indexDescriptor.digest());
        return new AssembledIndex(images, attestationManifests, index, indexDescriptor);
    }

    /**
     * One image of a result's layers with the frontend's config, or the empty config of {@code platform} when the
     * frontend gave none.
     */
    private static AssembledImage assemble(
            LayersOf layersOf,
            ImageConfigs.FrontendConfigs frontendConfigs,
            Platform platform,
            Worker worker,
            ImageOptions options,
            ExportLog log,
            InlineCache inline)
            throws IOException, InterruptedException {
        log.line("exporting layers");
        List<ImageLayers.Slot> slots =
                layersOf.slots(new ImageLayers(worker.images(), worker.snapshotter(), options, log));
        ImageConfig config =
                ImageConfigs.assemble(frontendConfigs, platform, slots, options.sourceDateEpoch(), Instant.now());
        List<ImageLayer> layers =
                slots.stream().flatMap(slot -> slot.layer().stream()).toList();
        Optional<byte[]> records = inline.records(layers, options, log);
        if (records.isPresent()) {
            // Go marshals the []byte field as standard base64, which is what BuildKit's importer decodes.
            config = config.withUnknownField(
                    CacheConfig.INLINE_FIELD,
                    TextNode.valueOf(Base64.getEncoder().encodeToString(records.get())));
            log.line("writing inline cache into the image config");
        }
        boolean oci = options.ociMediaTypes();
        ContentStore content = worker.images().content();
        byte[] configJson = config.toJson();
        Descriptor configDescriptor = Descriptor.of(
                oci ? MediaTypes.OCI_CONFIG : MediaTypes.DOCKER_CONFIG, content.write(configJson), configJson.length);
        List<Descriptor> layerDescriptors =
                layers.stream().map(layer -> layer.descriptor(oci)).toList();
        ImageAnnotations annotations = options.annotations();
        ImageManifest manifest = oci
                ? ImageManifest.oci(configDescriptor, layerDescriptors)
                        .withAnnotations(annotations.of(ImageAnnotations.Kind.MANIFEST, platform))
                : ImageManifest.docker(configDescriptor, layerDescriptors);
        byte[] manifestJson = manifest.toJson();
        Descriptor manifestDescriptor = Descriptor.of(
                        manifest.contentType(), content.write(manifestJson), manifestJson.length)
                .withAnnotations(annotations.of(ImageAnnotations.Kind.MANIFEST_DESCRIPTOR, platform));
        log.line("exporting manifest " + manifestDescriptor.digest());
        log.line("exporting config " + configDescriptor.digest());
        return new AssembledImage(manifest, manifestDescriptor, config, configDescriptor, layers);
    }

    /** How an image's layers come from its result: its snapshot's, or the blobs a cache import gave it. */
    @FunctionalInterface
    private interface LayersOf {
        List<ImageLayers.Slot> slots(ImageLayers layers) throws IOException, InterruptedException;
    }

    /** The result's filesystem; a result with no files (scratch) makes an image without layers. */
    private static LayersOf layersOf(Result result) {
        Reference ref = result.ref().orElse(null);
        if (ref == null && !result.refs().isEmpty()) {
            throw new GatewayException("the result has one reference per platform "
                    + result.refs().keySet()
                    + "; an image of it is an index, which this export does not make");
        }
        return layersOf(ref);
    }

    /** A reference's filesystem; none (scratch) makes an image without layers. */
    private static LayersOf layersOf(Reference ref) {
        if (ref == null) {
            return layers -> layers.export(Snapshot.SCRATCH);
        }
        if (!(ref instanceof SolvedReference solved)) {
            throw new GatewayException("cannot export a reference made by another engine: " + ref);
        }
        return layers -> layers.export(solved.solved().result());
    }
}
