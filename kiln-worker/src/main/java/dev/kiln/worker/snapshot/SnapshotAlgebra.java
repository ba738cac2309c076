package dev.kiln.worker.snapshot;

import dev.kiln.core.Trees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/** Merge and diff, which both snapshotters do the same way: on layer lists where possible, on trees otherwise. */
final class SnapshotAlgebra {
    @FunctionalInterface
    interface Viewer {
        Mounted mountReadOnly(Snapshot snapshot) throws IOException;
    }

    private SnapshotAlgebra() {}

    static Snapshot merge(LayerStore store, List<Snapshot> inputs) throws IOException {
        Objects.requireNonNull(inputs, "merge inputs");
        List<String> stacked = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        // Walk from the top so that a repeated layer keeps its highest position: everything a lower copy of it
        // shows is shown again by the higher copy, so dropping the lower one changes nothing.
        for (int i = inputs.size() - 1; i >= 0; i--) {
            Snapshot input = Objects.requireNonNull(inputs.get(i), "merge input " + i);
            store.requireLayers(input);
            List<String> layers = input.layers();
            for (int j = layers.size() - 1; j >= 0; j--) {
                if (seen.add(layers.get(j))) {
                    stacked.add(layers.get(j));
                }
            }
        }
        Collections.reverse(stacked);
        return store.record(stacked);
    }

    static Snapshot diff(LayerStore store, Viewer viewer, Snapshot lower, Snapshot upper) throws IOException {
        Objects.requireNonNull(lower, "diff lower");
        Objects.requireNonNull(upper, "diff upper");
        store.requireLayers(lower);
        store.requireLayers(upper);
        if (lower.isBelow(upper)) {
            return store.record(
                    upper.layers().subList(lower.layers().size(), upper.layers().size()));
        }
        Path scratch = store.newWorkDirectory();
        try (Mounted before = viewer.mountReadOnly(lower);
                Mounted after = viewer.mountReadOnly(upper)) {
            Path layer = Files.createDirectory(scratch.resolve("layer"));
            if (!TreeDiff.compute(before.path(), after.path(), layer)) {
                return store.record(List.of());
            }
            return store.recordWithNewLayer(List.of(), layer);
        } finally {
            Trees.deleteRecursively(scratch);
        }
    }
}
