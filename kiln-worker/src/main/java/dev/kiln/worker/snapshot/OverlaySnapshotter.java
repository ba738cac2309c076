package dev.kiln.worker.snapshot;

import dev.kiln.core.Trees;
import dev.kiln.core.sys.SyscallException;
import dev.kiln.worker.sys.Mounts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Snapshots stacked by overlayfs: a prepare mounts the parent's layers as lower directories under a fresh upper
 * directory, and the committed upper directory becomes the next layer as is. Nothing is copied except when a
 * stack is too tall for overlay's mount options (one page): then the lowest layers are flattened once into a
 * squashed layer (hard links, no data copied) that later mounts of the same stack reuse.
 */
public final class OverlaySnapshotter extends StoredSnapshotter {
    /** mount(2) copies at most one page of options; 4096 is the smallest page Linux runs with. */
    static final int MOUNT_DATA_LIMIT = 4096 - 1;
    /** Squashes cover multiples of this many layers, so a growing stack keeps reusing the same squash. */
    static final int SQUASH_STEP = 32;

    private static final List<String> DISABLED_FEATURES = List.of("index", "redirect_dir", "metacopy");

    private final String options;

    OverlaySnapshotter(LayerStore store, String options) {
        super(store);
        this.options = options;
    }

    /** Opens the state at {@code root} with overlayfs, or fails saying why overlayfs cannot be mounted there. */
    public static OverlaySnapshotter open(Path root) throws IOException {
        LayerStore store = LayerStore.open(root);
        try {
            String options = kernelOptions();
            tryMount(store, options);
            return new OverlaySnapshotter(store, options);
        } catch (IOException | RuntimeException e) {
            store.close();
            throw e;
        }
    }

    /** The mount options overlay accepts in this state directory, or empty when overlay cannot be mounted there. */
    static Optional<String> probe(LayerStore store) throws IOException {
        String options = kernelOptions();
        try {
            tryMount(store, options);
            return Optional.of(options);
        } catch (SyscallException e) {
            return Optional.empty();
        }
    }

    /**
     * Features that would make a layer depend on the mount it was written in (redirects to lower directories,
     * metadata-only copy-ups, an inode index) are turned off wherever the kernel knows them, so every layer stays a
     * self-contained directory that an exporter can read.
     */
    private static String kernelOptions() {
        StringBuilder options = new StringBuilder();
        for (String feature : DISABLED_FEATURES) {
            if (Files.exists(Path.of("/sys/module/overlay/parameters", feature))) {
                options.append(',').append(feature).append("=off");
            }
        }
        return options.toString();
    }

    private static void tryMount(LayerStore store, String options) throws IOException {
        Path probe = store.newWorkDirectory();
        try {
            Path upper = Files.createDirectory(probe.resolve("upper"));
            Path work = Files.createDirectory(probe.resolve("work"));
            Path merged = Files.createDirectory(probe.resolve("merged"));
            Mounts.mount(
                    "overlay",
                    merged,
                    "overlay",
                    0,
                    "lowerdir=" + store.emptyDirectory() + ",upperdir=" + upper + ",workdir=" + work + options);
            Mounts.unmount(merged, 0);
        } finally {
            Trees.deleteRecursively(probe);
        }
    }

    @Override
    ActiveSnapshot prepareLayers(Snapshot parent) throws IOException {
        return OverlayActiveSnapshot.create(this, store, parent);
    }

    @Override
    Mounted mountLayers(Snapshot snapshot) throws IOException {
        Path dir = store.newWorkDirectory();
        Path merged = dir.resolve("merged");
        LowerStack acquired = null;
        try {
            Files.createDirectory(merged);
            acquired = lowers(snapshot.layers(), utf8Length(options), true);
            Mounts.mount("overlay", merged, "overlay", Mounts.MS_RDONLY, acquired.option() + options);
        } catch (IOException | RuntimeException e) {
            if (acquired != null) {
                store.release(acquired.held());
            }
            Trees.deleteRecursively(dir);
            throw e;
        }
        List<Path> layers = store.layerPaths(snapshot.layers()).reversed();
        return registeredView(snapshot, merged, layers, dir, acquired.held(), () -> unmount(merged));
    }

    String options() {
        return options;
    }

    /** The "lowerdir=" option for a stack and the layers the mount holds (acquired; the caller releases them). */
    record LowerStack(String option, List<String> held) {}

    /**
     * Builds the lowerdir option for {@code layers} (bottom first), squashing the lowest layers when the whole
     * option string, {@code otherBytes} included, would not fit in a page. A read-only mount needs two lower
     * directories, so a single one is paired with the empty directory.
     */
    LowerStack lowers(List<String> layers, int otherBytes, boolean readOnly) throws IOException {
        int n = layers.size();
        int squashed = 0;
        while (!fits(n - squashed + (squashed > 0 ? 1 : 0), otherBytes, readOnly)) {
            if (squashed == n) {
                throw new IOException("overlay mount options for " + n + " layers do not fit in one page even with all"
                        + " layers squashed; the state directory path " + store.root() + " is too long");
            }
            squashed = Math.min(n, squashed + SQUASH_STEP);
        }
        List<String> stack = new ArrayList<>();
        List<String> held = new ArrayList<>(layers);
        if (squashed > 0) {
            List<String> prefix = layers.subList(0, squashed);
            String squash = store.squashed(prefix).orElse(null);
            if (squash == null) {
                squash = store.squash(prefix);
            }
            stack.add(squash);
            held.add(squash);
        }
        stack.addAll(layers.subList(squashed, n));
        store.acquire(held);
        StringBuilder option = new StringBuilder("lowerdir=");
        for (int i = stack.size() - 1; i >= 0; i--) {
            option.append(store.layerPath(stack.get(i)));
            if (i > 0) {
                option.append(':');
            }
        }
        if (readOnly && stack.size() == 1) {
            option.append(':').append(store.emptyDirectory());
        }
        return new LowerStack(option.toString(), List.copyOf(held));
    }

    private boolean fits(int count, int otherBytes, boolean readOnly) {
        int layerBytes = utf8Length(store.root() + "/l/") + LayerStore.LAYER_ID_LENGTH;
        long bytes = "lowerdir=".length() + (long) count * (layerBytes + 1) - 1 + otherBytes;
        if (readOnly && count == 1) {
            bytes += 1 + utf8Length(store.emptyDirectory().toString());
        }
        return bytes <= MOUNT_DATA_LIMIT;
    }

    static int utf8Length(String text) {
        return text.getBytes(StandardCharsets.UTF_8).length;
    }

    /** Unmounts, or detaches when something still holds the mount, so a view never outlives its owner's close. */
    static void unmount(Path mountPoint) throws IOException {
        try {
            Mounts.unmount(mountPoint, 0);
        } catch (SyscallException e) {
            if (e.errno() != SyscallException.EBUSY) {
                throw e;
            }
            Mounts.unmount(mountPoint, Mounts.MNT_DETACH);
        }
    }
}
