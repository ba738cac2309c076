package dev.kiln.worker.ops;

import dev.kiln.core.Digest;
import dev.kiln.worker.AtomicWrite;
import dev.kiln.worker.UsageLedger;
import dev.kiln.worker.snapshot.Snapshot;
import dev.kiln.worker.snapshot.Snapshotter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The last snapshot made of each local source (by shared key hint and host directory), so the
 * next sync of the same context starts from it and copies only what changed.
 */
public final class LocalSnapshots {

    private final Path dir;
    private final Snapshotter snapshotter;
    private final UsageLedger ledger;

    public LocalSnapshots(Path dir, Snapshotter snapshotter) throws IOException {
        this(dir, snapshotter, null);
    }

    /** As {@link #LocalSnapshots(Path, Snapshotter)}, telling {@code ledger} (if not null) what each snapshot is. */
    public LocalSnapshots(Path dir, Snapshotter snapshotter, UsageLedger ledger) throws IOException {
        this.dir = Files.createDirectories(dir);
        this.snapshotter = snapshotter;
        this.ledger = ledger;
    }

    Snapshotter snapshotter() {
        return snapshotter;
    }

    Optional<Snapshot> latest(String key) throws IOException {
        try {
            String id = Files.readString(file(key), StandardCharsets.UTF_8).trim();
            return id.isEmpty() ? Optional.empty() : snapshotter.load(id);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /** {@code key} starts with the source's name (or shared key hint) and a newline. */
    void record(String key, Snapshot snapshot) throws IOException {
        if (ledger != null) {
            int end = key.indexOf('\n');
            ledger.describe(
                    snapshot.id(), "source.local", "local source for " + (end < 0 ? key : key.substring(0, end)));
        }
        AtomicWrite.write(file(key), snapshot.id().getBytes(StandardCharsets.UTF_8));
    }

    private Path file(String key) {
        return dir.resolve(Digest.sha256(key.getBytes(StandardCharsets.UTF_8)).hex());
    }
}
