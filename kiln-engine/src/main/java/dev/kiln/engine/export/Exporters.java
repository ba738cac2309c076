package dev.kiln.engine.export;

import dev.kiln.engine.gateway.SolvedReference;
import dev.kiln.gateway.GatewayException;
import dev.kiln.gateway.Reference;
import dev.kiln.gateway.Result;
import dev.kiln.llb.ImageReference;
import dev.kiln.oci.registry.DockerConfig;
import dev.kiln.oci.registry.RegistryClient;
import dev.kiln.solver.ProgressListener;
import dev.kiln.worker.ReadOnlyView;
import dev.kiln.worker.Worker;
import dev.kiln.worker.fs.CopyOptions;
import dev.kiln.worker.fs.FileActions;
import dev.kiln.worker.fs.Owner;
import dev.kiln.worker.fs.UserLookup;
import dev.kiln.worker.image.ImageStore;
import dev.kiln.worker.sys.PosixFiles;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Writes a build result to its export target: files (a directory, a tar), an image (stored and named locally,
 * pushed), or an image archive (OCI layout, Docker). A result with no files (scratch) exports as empty. A directory
 * gets its files owned by the user running Kiln, as BuildKit's local exporter gives them; a tar and the images keep
 * the owners of the result.
 *
 * <p>Image exports answer with BuildKit's result facts: {@value #IMAGE_DIGEST} (the manifest's digest),
 * {@value #CONFIG_DIGEST} and {@value #IMAGE_NAME} (the names, comma-separated).
 */
public final class Exporters {

    public static final String IMAGE_DIGEST = "containerimage.digest";
    public static final String CONFIG_DIGEST = "containerimage.config.digest";
    public static final String IMAGE_NAME = "image.name";

    private Exporters() {
    }

    /** Exports the default reference of a result, without progress or facts. */
    public static void export(Reference ref, ExportTarget target, Worker worker) throws IOException, InterruptedException {
        export(ref == null ? Result.empty() : Result.of(ref), target, worker, ProgressListener.none());
    }

    /**
     * Exports {@code result} (its default reference, and for images the config the frontend gave under
     * {@code containerimage.config}) and returns the facts of the export: empty for files, digests for images.
     */
    public static Map<String, String> export(Result result, ExportTarget target, Worker worker,
            ProgressListener progress) throws IOException, InterruptedException {
        return switch (target) {
            case ExportTarget.LocalDirectory _, ExportTarget.TarFile _, ExportTarget.TarStream _ -> {
                writeFiles(result, target);
                yield Map.of();
            }
            case ExportTarget.Image image -> logged(progress, "exporting to image",
                    log -> exportImage(result, image, worker, log));
            case ExportTarget.OciArchive(ArchiveDestination destination, List<String> names, ImageOptions options) ->
                    logged(progress, "exporting to oci image format", log -> {
                        AssembledImage made = ImageAssembler.assemble(result, worker, options, log);
                        List<ImageReference> references = references(names);
                        log.line("sending tarball");
                        ArchiveFiles.write(destination, out -> ImageArchive.writeOci(made, references,
                                worker.images().content(), out, archiveTime(options)));
                        return facts(made, names);
                    });
            case ExportTarget.DockerArchive(ArchiveDestination destination, List<String> names, ImageOptions options) ->
                    logged(progress, "exporting to docker image format", log -> {
                        AssembledImage made = ImageAssembler.assemble(result, worker, options, log);
                        List<ImageReference> references = references(names);
                        log.line("sending tarball");
                        ArchiveFiles.write(destination, out -> ImageArchive.writeDocker(made, references,
                                worker.images().content(), out, archiveTime(options)));
                        return facts(made, names);
                    });
        };
    }

    private static Map<String, String> exportImage(Result result, ExportTarget.Image target, Worker worker,
            ExportLog log) throws IOException, InterruptedException {
        AssembledImage made = ImageAssembler.assemble(result, worker, target.options(), log);
        ImageStore images = worker.images();
        List<ImageReference> references = references(target.names());
        for (ImageReference name : references) {
            log.line("naming to " + name.withDefaultTag());
            images.nameImage(name, made.manifestDescriptor());
        }
        if (target.push()) {
            if (target.options().insecureRegistry()) {
                Set<String> registries = new TreeSet<>();
                references.forEach(name -> registries.add(name.domain()));
                try (RegistryClient insecure = RegistryClient.builder().credentials(DockerConfig.fromEnvironment())
                        .insecure(registries).build()) {
                    new ImagePusher(insecure, images, log).push(made, references);
                }
            } else {
                new ImagePusher(images.registry(), images, log).push(made, references);
            }
        }
        return facts(made, target.names());
    }

    private static List<ImageReference> references(List<String> names) {
        return names.stream().map(ImageReference::parseNormalized).toList();
    }

    private static Map<String, String> facts(AssembledImage image, List<String> names) {
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put(IMAGE_DIGEST, image.manifestDescriptor().digest().toString());
        facts.put(CONFIG_DIGEST, image.configDescriptor().digest().toString());
        if (!names.isEmpty()) {
            facts.put(IMAGE_NAME, String.join(",", names));
        }
        return Map.copyOf(facts);
    }

    /** Archive entries carry SOURCE_DATE_EPOCH when given, else the Unix epoch: never the time of the export. */
    private static Instant archiveTime(ImageOptions options) {
        return options.sourceDateEpoch().orElse(Instant.EPOCH);
    }

    @FunctionalInterface
    private interface Step {
        Map<String, String> run(ExportLog log) throws IOException, InterruptedException;
    }

    private static Map<String, String> logged(ProgressListener progress, String name, Step step)
            throws IOException, InterruptedException {
        ExportLog log = ExportLog.start(progress, name);
        try {
            Map<String, String> facts = step.run(log);
            log.completed();
            return facts;
        } catch (IOException | InterruptedException | RuntimeException e) {
            log.failed(e.getMessage() == null ? e.toString() : e.getMessage());
            throw e;
        }
    }

    private static void writeFiles(Result result, ExportTarget target) throws IOException, InterruptedException {
        Reference ref = result.ref().orElse(null);
        if (ref != null && !(ref instanceof SolvedReference)) {
            throw new GatewayException("cannot export a reference made by another engine: " + ref);
        }
        SolvedReference solved = (SolvedReference) ref;
        if (solved == null) {
            Path empty = Files.createTempDirectory("kiln-empty-");
            try {
                write(empty, target);
            } finally {
                Files.delete(empty);
            }
            return;
        }
        try (ReadOnlyView view = solved.open()) {
            write(view.root(), target);
        }
    }

    private static void write(Path root, ExportTarget target) throws IOException {
        switch (target) {
            case ExportTarget.LocalDirectory(Path dest) -> {
                Files.createDirectories(dest);
                // BuildKit's client receives a local export over filesync and writes every file as itself, keeping
                // mode bits and times but not the image's owners, so the user can edit and delete what it wrote.
                Owner user = new Owner(PosixFiles.uid(), PosixFiles.gid());
                new FileActions(dest, UserLookup.idsOnly())
                        .copy(root, "/", "/", CopyOptions.defaults().withDirCopyContents(true)
                                .withAlwaysReplaceExistingDestPaths(true).withOwner(user));
            }
            case ExportTarget.TarFile(Path dest) ->
                    ArchiveFiles.write(new ArchiveDestination.ToFile(dest), out -> TreeTar.write(root, out));
            case ExportTarget.TarStream(OutputStream out) ->
                    ArchiveFiles.write(new ArchiveDestination.ToStream(out), stream -> TreeTar.write(root, stream));
            default -> throw new IllegalArgumentException(target + " is not a file export");
        }
    }
}
