package dev.kiln.engine.export;

import dev.kiln.engine.gateway.SolvedReference;
import dev.kiln.gateway.GatewayException;
import dev.kiln.gateway.Reference;
import dev.kiln.gateway.Result;
import dev.kiln.worker.ReadOnlyView;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A build result's files, readable until closed, for the exporters that write files (local, tar). A result with no
 * files (scratch) reads as an empty directory, so it exports as an empty directory or an empty tar.
 */
final class ResultFiles implements AutoCloseable {

    private final Path root;
    /** The mounted result, or null for the empty directory made for a result without files. */
    private final ReadOnlyView view;

    private ResultFiles(Path root, ReadOnlyView view) {
        this.root = root;
        this.view = view;
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

    Path root() {
        return root;
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
