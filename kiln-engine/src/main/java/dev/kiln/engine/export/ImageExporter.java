package dev.kiln.engine.export;

import dev.kiln.core.ImageReference;
import dev.kiln.gateway.Result;
import dev.kiln.oci.registry.RegistryClient;
import dev.kiln.solver.ProgressListener;
import dev.kiln.worker.BuildSession;
import dev.kiln.worker.Worker;
import dev.kiln.worker.image.ImageStore;
import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code type=image}: the result as an image in the engine's content store, named locally under each of its names
 * and, with push, pushed to the registry each name is in. {@code type=registry} is the same with push, as in BuildKit.
 */
record ImageExporter(ExportTarget.Image image) implements Exporter {

    /**
     * BuildKit's attributes that Kiln takes and does nothing more with. {@code store}: BuildKit's containerd-backed
     * exporter may leave the image out of its image store; Kiln's content store holds every exported image anyway,
     * since a push and a later build read it from there. {@code unpack}: BuildKit also unpacks the image into its
     * containerd snapshotter; Kiln's snapshots of the build are its unpacked layers already. {@code name-canonical}:
     * BuildKit also names the image {@code name@digest} in its image store; Kiln's store names images by tag only,
     * and the pushed manifest is at {@code name@digest} in the registry as always.
     */
    private static final Set<String> ACCEPTED = Set.of("store", "unpack", "name-canonical");

    /**
     * {@code name=}, {@code push=}, {@code push-by-digest=} and the image attributes; {@code registry} always
     * pushes. The image exporter makes Docker's media types unless {@code oci-mediatypes=true}, as BuildKit's does.
     */
    static ExportTarget resolve(ExportAttributes attributes, boolean registry) {
        Set<String> own = new HashSet<>(ACCEPTED);
        own.addAll(Set.of("name", "push", "push-by-digest"));
        attributes.checkImageAttributes(own);
        ACCEPTED.forEach(attributes::bool);
        boolean push = registry || attributes.defaults().push() || attributes.bool("push");
        return new ExportTarget.Image(
                attributes.names(),
                push,
                attributes.imageOptions(ImageOptions.dockerDefaults()),
                attributes.bool("push-by-digest"));
    }

    @Override
    public Map<String, String> export(Result result, Worker worker, BuildSession session, ProgressListener progress)
            throws IOException, InterruptedException {
        return export(result, worker, session, progress, InlineCache.NONE);
    }

    @Override
    public Map<String, String> export(
            Result result, Worker worker, BuildSession session, ProgressListener progress, InlineCache inline)
            throws IOException, InterruptedException {
        return ExportLog.run(progress, "exporting to image", log -> {
            ExportedImage made =
                    ImageAssembler.assembleAll(result, worker, image.options(), log, inline, image.names());
            ImageStore images = worker.images(session);
            List<ImageReference> references =
                    image.names().stream().map(ImageReference::parseNormalized).toList();
            for (ImageReference name : references) {
                log.line("naming to " + name.withDefaultTag());
                images.nameImage(name, made.descriptor());
            }
            if (image.push()) {
                push(made, references, images, session, log);
            }
            return ImageFacts.of(made, image.names());
        });
    }

    private void push(
            ExportedImage made, List<ImageReference> references, ImageStore images, BuildSession session, ExportLog log)
            throws IOException, InterruptedException {
        if (!image.options().insecureRegistry()) {
            new ImagePusher(images.registry(), images, log).push(made, references, image.pushByDigest());
            return;
        }
        Set<String> registries = new TreeSet<>();
        references.forEach(name -> registries.add(name.domain()));
        try (RegistryClient insecure = ImagePusher.insecureClient(session, registries)) {
            new ImagePusher(insecure, images, log).push(made, references, image.pushByDigest());
        }
    }

    @Override
    public boolean carriesInlineCache() {
        return true;
    }

    @Override
    public String describe() {
        return (image.names().isEmpty() ? "an unnamed image" : String.join(", ", image.names()))
                + (image.push() ? " (pushed)" : " (image)");
    }
}
