package dev.kiln.engine.export;

import dev.kiln.engine.cache.CacheExport;
import dev.kiln.solver.ProgressListener;
import dev.kiln.worker.Worker;
import dev.kiln.worker.snapshot.Snapshot;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Compresses a build's layers while its later steps still run, so its export finds the blobs written. BuildKit
 * compresses every layer once the whole build is done; a step's layer is final when the step ends, though, and the
 * steps after it often leave a core idle (a shell loop, a download, a single-threaded compiler).
 *
 * <p>The layers of each solved result (an image export's layers) are written ahead, in the form the first output
 * asks for; with a {@code mode=max} cache export that wants that form, the layers of every step, since that export
 * needs them all. A later stage that copies an earlier stage's files then finds their gzip blocks written
 * ({@link ImageLayers}' reused blocks; a big file has blocks of its own wherever it lies in a layer), so the files
 * are compressed once, while the build runs, instead of twice after it. One layer at a time, on one virtual thread
 * (the compressor spreads a layer over the cores, which the kernel shares with the steps that run meanwhile). A
 * layer written ahead is the same blob the export would write ({@link dev.kiln.worker.image.ImageStore#layerBlob}
 * lets one write run per layer and form; an export that asks meanwhile waits for it), and a failed or cancelled
 * write costs nothing: the export writes that layer itself and reports its error.
 */
public final class EarlyLayers implements AutoCloseable {

    private static final EarlyLayers NONE = new EarlyLayers(null);

    /** Writes the layers ahead, or null when this build has no output that needs them. */
    private final Ahead ahead;

    /**
     * The layers' writer in the outputs' form, the progress step it reports to, its one thread, and whether every
     * step's layers are written (a mode=max cache export) or only the results'.
     */
    private record Ahead(ImageLayers layers, ExportLog log, ExecutorService thread, boolean everyStep) {}

    private EarlyLayers(Ahead ahead) {
        this.ahead = ahead;
    }

    /** Writes nothing ahead: a build without image or cache outputs, or a caller that solves without exporting. */
    public static EarlyLayers none() {
        return NONE;
    }

    /**
     * What a build with {@code exports} and {@code cacheExports} writes ahead: in the form of its first image output
     * (or of its first cache export, for a build that exports only cache), reporting the layers it writes as the
     * progress step "compressing layers ahead of the export".
     */
    public static EarlyLayers forBuild(
            List<ExportTarget> exports, List<CacheExport> cacheExports, Worker worker, ProgressListener progress) {
        Optional<ImageOptions> form = exports.stream()
                .flatMap(target -> imageOptions(target).stream())
                .findFirst()
                .or(() -> cacheExports.stream()
                        .flatMap(target -> layerOptions(target).stream())
                        .findFirst());
        if (form.isEmpty()) {
            return NONE;
        }
        ExportLog log = ExportLog.deferred(progress, "compressing layers ahead of the export");
        ImageLayers layers = new ImageLayers(worker.images(), worker.snapshotter(), form.get(), log);
        ExecutorService thread = Executors.newSingleThreadExecutor(
                Thread.ofVirtual().name("early-layers").factory());
        // another form would be of no use to the cache export: it would compress those layers again
        String variant = form.get().layerVariant();
        boolean everyStep = cacheExports.stream()
                .anyMatch(target -> target.max()
                        && layerOptions(target)
                                .map(options -> options.layerVariant().equals(variant))
                                .orElse(false));
        return new EarlyLayers(new Ahead(layers, log, thread, everyStep));
    }

    /** Whether anything is written ahead at all. */
    public boolean active() {
        return ahead != null;
    }

    /** Whether every step's layers are written ahead, not only those of the results. */
    public boolean everyStep() {
        return ahead != null && ahead.everyStep();
    }

    /** A step made {@code snapshot}, which an output needs: its layers are queued, bottom first. */
    public void made(Snapshot snapshot) {
        if (ahead == null || snapshot.isScratch()) {
            return;
        }
        for (String layerId : snapshot.layers()) {
            try {
                ahead.thread().execute(() -> writeAhead(layerId));
            } catch (RejectedExecutionException buildEnded) {
                return;
            }
        }
    }

    /**
     * With every step's layers queued, waits until those queued are written, before the exports start. Written in the
     * order the steps made them, a layer comes after the layers it copies files from and reuses their gzip blocks;
     * exports that wrote the rest at once, in parallel, would compress those files again.
     */
    public void awaitEveryStep() throws InterruptedException {
        if (!everyStep()) {
            return;
        }
        try {
            ahead.thread().submit(() -> {}).get();
        } catch (ExecutionException | RejectedExecutionException nothingToWaitFor) {
            // a write that failed is left to the export; a closed queue has nothing more to write
        }
    }

    private void writeAhead(String layerId) {
        try {
            ahead.layers().writeAhead(layerId);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | RuntimeException e) {
            if (ahead.thread().isShutdown()) {
                return; // the build ended while this layer was being written: nothing is lost
            }
            // the export writes this layer itself, and reports why if it fails again
            ahead.log().line("layer " + layerId + " is left to the export: " + e.getMessage());
        }
    }

    /**
     * The build's end: writes not begun are dropped, the one running is interrupted (its partial blob discarded),
     * and the progress step ends. Called after the exports, so what they needed is written by then.
     */
    @Override
    public void close() {
        if (ahead == null) {
            return;
        }
        ahead.thread().shutdownNow();
        try {
            if (!ahead.thread().awaitTermination(30, TimeUnit.SECONDS)) {
                ahead.log().line("a layer written ahead did not stop within 30 seconds");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        ahead.log().endIfStarted();
    }

    private static Optional<ImageOptions> imageOptions(ExportTarget target) {
        return switch (target) {
            case ExportTarget.Image image -> Optional.of(image.options());
            case ExportTarget.ImageArchiveTarget archive -> Optional.of(archive.options());
            default -> Optional.empty();
        };
    }

    private static Optional<ImageOptions> layerOptions(CacheExport target) {
        return switch (target) {
            case CacheExport.Local local -> Optional.of(local.layers());
            case CacheExport.Registry registry -> Optional.of(registry.layers());
            case CacheExport.Inline inline -> Optional.empty();
        };
    }
}
