package dev.kiln.worker.snapshot;

import dev.kiln.core.Trees;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * What both active snapshots do the same way: each owns a work directory under the layer store and holds layers
 * while it is active, and goes one way only, from active to committed or closed, after which the directory is gone
 * and the layers are released. They differ in how writes become a snapshot and what closing must undo first.
 */
abstract sealed class StoredActiveSnapshot implements ActiveSnapshot permits CopyActiveSnapshot, OverlayActiveSnapshot {
    private enum State {
        ACTIVE,
        COMMITTED,
        CLOSED
    }

    final LayerStore store;
    final Snapshot parent;
    final Path directory;
    private final List<String> held;
    private State state = State.ACTIVE;

    /** @param held the layers this snapshot holds while active, released when it is committed or closed */
    StoredActiveSnapshot(LayerStore store, Snapshot parent, Path directory, List<String> held) {
        this.store = store;
        this.parent = parent;
        this.directory = directory;
        this.held = held;
    }

    @Override
    public Snapshot parent() {
        return parent;
    }

    @Override
    public final Path mount() {
        requireActive("mount");
        return view();
    }

    /** Where the parent's content plus the writes are seen and written: what {@link #mount()} gives. */
    abstract Path view();

    @Override
    public final synchronized Snapshot commit() throws IOException {
        requireActive("commit");
        Snapshot result = commitWrites();
        state = State.COMMITTED;
        cleanUp();
        return result;
    }

    /** The writes as a snapshot; when this throws, the snapshot stays active so that it can still be closed. */
    abstract Snapshot commitWrites() throws IOException;

    @Override
    public final synchronized void close() throws IOException {
        if (state != State.ACTIVE) {
            return;
        }
        state = State.CLOSED;
        try {
            discard();
        } finally {
            cleanUp();
        }
    }

    /** What must be undone before the work directory is deleted on close (an overlay mount); nothing by default. */
    void discard() throws IOException {}

    private void cleanUp() throws IOException {
        try {
            Trees.deleteRecursively(directory);
        } finally {
            store.release(held);
            store.unregister(this);
        }
    }

    /** Undoes a snapshot whose creation failed: releases the layers it held and deletes its work directory. */
    static void abandon(LayerStore store, List<String> held, Path directory) throws IOException {
        store.release(held);
        Trees.deleteRecursively(directory);
    }

    void requireActive(String action) {
        if (state != State.ACTIVE) {
            throw new IllegalStateException("cannot " + action + " the snapshot prepared from " + parent.id()
                    + ": it is already " + state.name().toLowerCase(Locale.ROOT));
        }
    }
}
