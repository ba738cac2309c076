package dev.kiln.worker;

import dev.kiln.core.Digest;
import dev.kiln.solver.Result;
import dev.kiln.solver.ResultStore;
import dev.kiln.worker.fs.ChecksumSelector;
import dev.kiln.worker.fs.ContentChecksum;
import dev.kiln.worker.fs.FsException;
import dev.kiln.worker.snapshot.Mounted;
import dev.kiln.worker.snapshot.Snapshot;
import dev.kiln.worker.snapshot.Snapshotter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The solver's view of the worker's results: snapshots by id, and content checksums of paths in
 * them. Snapshots never change, so a checksum is computed once per snapshot and selectors and
 * kept on disk: a cached rebuild in a new process reads it instead of hashing files again.
 */
final class SnapshotResults implements ResultStore {

    private final Snapshotter snapshotter;
    /** Finds a deferred result (a cache import's layers, unpacked when first used) by its id. */
    private final Function<String, Optional<Result>> deferred;

    private final ContentChecksum checksums;
    private final Map<String, String> known = new ConcurrentHashMap<>();
    private final Path memoDir;

    SnapshotResults(
            Snapshotter snapshotter,
            Function<String, Optional<Result>> deferred,
            ContentChecksum checksums,
            Path memoDir)
            throws IOException {
        this.snapshotter = snapshotter;
        this.deferred = deferred;
        this.checksums = checksums;
        this.memoDir = Files.createDirectories(memoDir);
    }

    @Override
    public Optional<Result> load(String id) {
        if (id.equals(Snapshot.SCRATCH.id())) {
            return Optional.of(SnapshotResult.SCRATCH);
        }
        if (id.startsWith(DeferredSnapshotResult.ID_PREFIX)) {
            return deferred.apply(id);
        }
        try {
            return snapshotter.load(id).map(SnapshotResult::new);
        } catch (IOException e) {
            // An unreadable snapshot record is as good as gone: the solver re-runs the step.
            return Optional.empty();
        }
    }

    @Override
    public String contentChecksum(Result result, List<String> selectors) throws Exception {
        Snapshot snapshot = SnapshotResult.of(result);
        String memoKey = snapshot.id() + "\u0000" + String.join("\u0000", selectors);
        String cached = known.get(memoKey);
        if (cached != null) {
            return cached;
        }
        Path memo = memoDir.resolve(
                Digest.sha256(memoKey.getBytes(StandardCharsets.UTF_8)).hex());
        if (Files.isRegularFile(memo)) {
            String stored = Files.readString(memo, StandardCharsets.UTF_8);
            if (stored.startsWith("sha256:") && stored.length() == 71) {
                known.put(memoKey, stored);
                return stored;
            }
        }
        List<ChecksumSelector> decoded =
                selectors.stream().map(SelectorText::decode).toList();
        String checksum;
        try (Mounted mounted = snapshotter.mountReadOnly(snapshot)) {
            checksum = checksum(checksums.overLayers(mounted.path(), mounted.layers()), mounted.path(), decoded);
        } catch (FsException e) {
            if (e.getCause() instanceof java.nio.file.NoSuchFileException || e.detail() == null) {
                // the words BuildKit uses for a COPY source that is not there
                throw new IOException("\"" + e.path() + "\": not found", e);
            }
            throw e;
        }
        AtomicWrite.write(memo, checksum.getBytes(StandardCharsets.UTF_8));
        known.put(memoKey, checksum);
        return checksum;
    }

    /** One selector's digest as it is; several (a copy op with several sources in one input) digested together. */
    private static String checksum(ContentChecksum checksums, Path root, List<ChecksumSelector> selectors)
            throws IOException {
        if (selectors.size() == 1) {
            return checksums.checksum(root, selectors.getFirst());
        }
        StringBuilder combined = new StringBuilder("selectors\n");
        for (ChecksumSelector selector : selectors) {
            combined.append(checksums.checksum(root, selector)).append('\n');
        }
        return Digest.sha256(combined.toString().getBytes(StandardCharsets.UTF_8))
                .toString();
    }
}
