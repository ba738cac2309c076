package dev.kiln.engine.export;

import dev.kiln.engine.gateway.SolvedReference;
import dev.kiln.gateway.Attestation;
import dev.kiln.gateway.GatewayException;
import dev.kiln.gateway.Reference;
import dev.kiln.gateway.Result;
import dev.kiln.worker.ReadOnlyView;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A build result's files, readable until closed, for the exporters that write files (local, tar). A result with no
 * files (scratch) reads as an empty directory, so it exports as an empty directory or an empty tar.
 *
 * @param view the mounted result, or null for the empty directory made for a result without files
 */
record ResultFiles(Path root, ReadOnlyView view) implements AutoCloseable {

    /**
     * One tree of files an exporter of files writes, with the attestations that go beside it.
     *
     * @param directory where the tree goes in the output: "" for a result's own files, the platform's directory
     *                  ({@code linux_arm64}) for a platform's share of a multi-platform result
     * @param ref       the tree's reference; null for a result without files
     */
    record Part(String directory, Reference ref, List<Attestation> attestations) {}

    /**
     * What the local and tar exporters write of {@code result}, as BuildKit's do: its files with all its
     * attestations (a single image has one platform, whatever its key), or for a multi-platform result, evaluated
     * here, each platform's files with that platform's attestations.
     */
    static List<Part> parts(Result result) throws InterruptedException {
        Optional<ResultPlatforms> platforms = ResultPlatforms.of(result);
        if (platforms.isEmpty()) {
            List<Attestation> all = result.attestations().values().stream()
                    .flatMap(List::stream)
                    .toList();
            return List.of(new Part("", result.ref().orElse(null), all));
        }
        platforms.get().evaluate();
        return platforms.get().platforms().stream()
                .map(part -> new Part(
                        part.directory(), part.ref(), result.attestations().getOrDefault(part.id(), List.of())))
                .toList();
    }

    static ResultFiles open(Result result) throws IOException, InterruptedException {
        return open(result.ref().orElse(null));
    }

    /** One reference's files: a platform's share of a multi-platform result, say. */
    static ResultFiles open(Reference ref) throws IOException, InterruptedException {
        if (ref == null) {
            return new ResultFiles(Files.createTempDirectory("kiln-empty-"), null);
        }
        if (!(ref instanceof SolvedReference solved)) {
            throw new GatewayException("cannot export a reference made by another engine: " + ref);
        }
        ReadOnlyView view = solved.open();
        return new ResultFiles(view.root(), view);
    }

    @Override
    public void close() throws IOException {
        if (view == null) {
            Files.delete(root);
        } else {
            view.close();
        }
    }
}
