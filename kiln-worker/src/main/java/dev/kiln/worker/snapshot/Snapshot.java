package dev.kiln.worker.snapshot;

import java.util.List;
import java.util.Objects;

/**
 * An immutable filesystem state: a persisted id and the layers that make it up, bottom first. Each layer is a
 * directory in overlayfs's format (see {@link Snapshotter#layerPath}). Two snapshots may share layers; removing one
 * never affects the other.
 */
public record Snapshot(String id, List<String> layers) {
    /** The empty filesystem. It is never persisted; {@link Snapshotter#load} still knows its id. */
    public static final Snapshot SCRATCH = new Snapshot("scratch", List.of());

    public Snapshot {
        Objects.requireNonNull(id, "snapshot id");
        if (id.isEmpty()) {
            throw new IllegalArgumentException("snapshot id must not be empty");
        }
        layers = List.copyOf(Objects.requireNonNull(layers, "layers of snapshot " + id));
    }

    public boolean isScratch() {
        return layers.isEmpty();
    }

    /** True when this snapshot's layers are the first layers of {@code other}: other was built on top of this. */
    public boolean isBelow(Snapshot other) {
        return other.layers.size() >= layers.size()
                && other.layers.subList(0, layers.size()).equals(layers);
    }
}
