package dev.kiln.engine.export;

import dev.kiln.gateway.Result;
import dev.kiln.solver.ProgressListener;
import dev.kiln.worker.BuildSession;
import dev.kiln.worker.Worker;
import java.io.IOException;
import java.util.Map;

/**
 * One kind of output of a build, as BuildKit has one exporter per package (exporter/containerimage, oci, local, tar):
 * each class writes a build result to its own kind of place and answers with the export's facts. An exporter is made
 * from its typed request by {@link ExportTarget#exporter()}; {@link Exporters} makes that request from an output's
 * type name and attributes.
 *
 * <p>The parts exporters share (making an image of a result, writing an archive atomically, reporting progress) are
 * helpers beside them: {@link ImageAssembler}, {@link ArchiveFiles}, {@link ResultFiles}, {@link ExportLog}.
 */
public sealed interface Exporter permits ImageExporter, ImageArchiveExporter, LocalExporter, TarExporter {

    /**
     * Exports {@code result} (its default reference, and for images the config the frontend gave under
     * {@code containerimage.config}) and returns the facts of the export: empty for files, digests for images.
     * A push reaches the registry with {@code session}'s registry credentials.
     */
    Map<String, String> export(Result result, Worker worker, BuildSession session, ProgressListener progress)
            throws IOException, InterruptedException;

    /**
     * As {@link #export(Result, Worker, BuildSession, ProgressListener)}, an image's config carrying {@code inline}'s
     * records; outputs that make no image config ignore it.
     */
    default Map<String, String> export(
            Result result, Worker worker, BuildSession session, ProgressListener progress, InlineCache inline)
            throws IOException, InterruptedException {
        return export(result, worker, session, progress);
    }

    /** Whether this output makes an image whose config can carry an inline cache. */
    default boolean carriesInlineCache() {
        return false;
    }

    /** Where the output goes, for a person to read: a path, image names, or stdout for a stream. */
    String describe();

    /**
     * Whether the output goes to a stream the caller owns (stdout, say), which nothing else may then write to; only
     * an archive can ({@code dest=-}), so an output streams only when it says so.
     */
    default boolean streams() {
        return false;
    }
}
