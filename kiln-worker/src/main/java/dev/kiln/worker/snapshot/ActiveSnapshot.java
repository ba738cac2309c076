package dev.kiln.worker.snapshot;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A writable view of a parent snapshot, for one RUN step or file operation. Writes land in a new layer; nothing is
 * visible to anyone else until {@link #commit()}. Closing without committing discards the writes.
 * Not thread-safe: one owner uses it, then commits or closes it.
 */
public sealed interface ActiveSnapshot extends AutoCloseable permits StoredActiveSnapshot {
    Snapshot parent();

    /** The directory holding the parent's content plus the writes so far; usable as a container's rootfs. */
    Path mount();

    /**
     * Hard links this snapshot makes into its new layer when it is committed, for files that a copy shares with an
     * immutable layer instead of copying them; empty when this snapshotter cannot make them (then copies copy).
     */
    default Optional<PendingLinks> pendingLinks() {
        return Optional.empty();
    }

    /**
     * Persists the writes as a new snapshot: the parent's layers plus one layer holding the changes, made visible by
     * an atomic rename only once it is complete. When nothing changed no layer is added (the result then has the
     * parent's layers under a new id). After commit, {@link #mount()} is gone.
     */
    Snapshot commit() throws IOException;

    /** Unmounts and discards the writes unless committed; safe to call more than once. */
    @Override
    void close() throws IOException;
}
