package dev.kiln.worker.snapshot;

import dev.kiln.core.Sha256;
import dev.kiln.core.Trees;
import dev.kiln.core.sys.PosixFiles;
import dev.kiln.worker.sys.Mounts;
import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The state directory both snapshotters share: layers, snapshot records, squashed stacks, scratch space, and the
 * bookkeeping that keeps them consistent across crashes (atomic renames, cleanup at open, garbage collection of
 * layers no snapshot uses).
 */
final class LayerStore implements Closeable {
    static final int LAYER_ID_LENGTH = 10;
    static final int SNAPSHOT_ID_LENGTH = 20;
    /**
     * The first line of a snapshot record: version 2 records end with {@link #SNAPSHOT_END}, so that one a crash
     * tore (they are written without fsync, see {@link #record}) is told from a whole one; version 1 records, which
     * were synced, have no end line and are still read.
     */
    private static final String SNAPSHOT_HEADER = "kiln-snapshot 2";

    private static final String SNAPSHOT_HEADER_V1 = "kiln-snapshot 1";
    private static final String SNAPSHOT_END = "end";
    private static final String SQUASH_HEADER = "kiln-squash 1";
    private static final String CLEAN_MARKER = "closed-cleanly";

    /** A stack of bottom layers flattened into one layer, to keep overlay mount options under one page. */
    record Squash(String key, String layer, List<String> prefix) {}

    private final Path root;
    private final Path layers;
    private final Path snapshots;
    private final Path squashes;
    private final Path work;
    private final Path empty;
    private final FileChannel lockFile;
    private final FileLock lock;
    private final Object mutex = new Object();
    /** Snapshot id to layers, loaded on first need; guarded by mutex. */
    private Map<String, List<String>> index;
    /** Layer id to the number of active snapshots and views using it; guarded by mutex. */
    private final Map<String, Integer> inUse = new HashMap<>();

    private final Set<AutoCloseable> openHandles = ConcurrentHashMap.newKeySet();
    private final Snapshotter.Uses uses;
    private final Snapshotter.LayerLinks links;

    private LayerStore(
            Path root, FileChannel lockFile, FileLock lock, Snapshotter.Uses uses, Snapshotter.LayerLinks links) {
        this.uses = uses;
        this.links = links;
        this.root = root;
        this.layers = root.resolve("l");
        this.snapshots = root.resolve("snapshots");
        this.squashes = root.resolve("squashes");
        this.work = root.resolve("work");
        this.empty = root.resolve("empty");
        this.lockFile = lockFile;
        this.lock = lock;
    }

    static LayerStore open(Path root) throws IOException {
        return open(root, Snapshotter.Uses.NONE, Snapshotter.LayerLinks.NONE);
    }

    static LayerStore open(Path root, Snapshotter.Uses uses, Snapshotter.LayerLinks links) throws IOException {
        Path absolute = root.toAbsolutePath().normalize();
        Files.createDirectories(absolute);
        FileChannel channel =
                FileChannel.open(absolute.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            channel.close();
            throw new IOException("snapshot state " + absolute + " is already open in this process; close it first");
        }
        if (lock == null) {
            channel.close();
            throw new IOException("snapshot state " + absolute + " is in use by another process");
        }
        LayerStore store = new LayerStore(absolute, channel, lock, uses, links);
        try {
            store.recover();
        } catch (IOException | RuntimeException e) {
            store.close();
            throw e;
        }
        return store;
    }

    /** Undoes whatever an interrupted process left: mounts, half-made layers and records, scratch space. */
    private void recover() throws IOException {
        for (Path dir : List.of(layers, snapshots, squashes, work, empty)) {
            Files.createDirectories(dir);
        }
        for (Path mountPoint : Mounts.mountPointsUnder(work)) {
            Mounts.unmount(mountPoint, Mounts.MNT_DETACH);
        }
        Trees.deleteContents(work);
        Trees.deleteContents(empty);
        PosixFiles.chmod(empty, 0755);
        for (Path dir : List.of(root, layers, snapshots, squashes)) {
            for (String name : Trees.names(dir)) {
                if (name.startsWith(AtomicFiles.TEMP_PREFIX)) {
                    Trees.deleteRecursively(dir.resolve(name));
                }
            }
        }
        Path marker = root.resolve(CLEAN_MARKER);
        if (Files.deleteIfExists(marker)) {
            AtomicFiles.syncDirectory(root);
        } else {
            synchronized (mutex) {
                dropUnusableRecords();
                collectGarbage();
            }
        }
    }

    /**
     * After a crash: removes the snapshot records the crash tore or whose layer's rename it lost (neither is synced,
     * see {@link #record}), so that garbage collection and every later reader see only whole snapshots. Their
     * steps run again when next needed.
     */
    private void dropUnusableRecords() throws IOException {
        boolean dropped = false;
        for (String id : Trees.names(snapshots)) {
            Path record = snapshots.resolve(id);
            boolean usable;
            try {
                usable = parseSnapshot(record, Files.readAllLines(record, StandardCharsets.UTF_8)).stream()
                        .allMatch(layer -> Files.isDirectory(layerPath(layer)));
            } catch (IOException | java.io.UncheckedIOException e) {
                usable = false; // unreadable bytes (MalformedInputException) too
            }
            if (!usable) {
                Files.delete(record);
                dropped = true;
            }
        }
        if (dropped) {
            AtomicFiles.syncDirectory(snapshots);
        }
    }

    Path root() {
        return root;
    }

    /** A directory that is always empty: the lowest layer of scratch and the filler for one-layer read-only mounts. */
    Path emptyDirectory() {
        return empty;
    }

    Path layerPath(String layerId) {
        if (!Ids.isValid(layerId, LAYER_ID_LENGTH)) {
            throw new IllegalArgumentException("not a layer id: \"" + layerId + "\"");
        }
        return layers.resolve(layerId);
    }

    List<Path> layerPaths(List<String> layerIds) {
        return layerIds.stream().map(this::layerPath).toList();
    }

    /**
     * Tells the listener that files of {@code layerDirs}, committed layers' directories (or paths in them), are about
     * to gain names (see {@link Snapshotter.LayerLinks}); each layer is told once.
     */
    Snapshotter.LayerLinks.Linking linking(Collection<Path> layerDirs) throws IOException {
        Set<String> from = new HashSet<>();
        int depth = layers.getNameCount();
        for (Path dir : layerDirs) {
            if (dir.getNameCount() > depth && dir.startsWith(layers)) {
                from.add(dir.getName(depth).toString());
            }
        }
        return links.linking(Set.copyOf(from));
    }

    /** A fresh directory for in-progress work; it is deleted at the next open if the process dies. */
    Path newWorkDirectory() throws IOException {
        return Files.createDirectory(work.resolve(Ids.random(12)));
    }

    /** Fails with a clear message unless every layer of {@code snapshot} is present. */
    void requireLayers(Snapshot snapshot) throws IOException {
        for (String layer : snapshot.layers()) {
            if (!Files.isDirectory(layerPath(layer))) {
                throw new NoSuchFileException(
                        layerPath(layer).toString(),
                        null,
                        "layer " + layer + " of snapshot " + snapshot.id() + " is missing; was the snapshot removed?");
            }
        }
    }

    /**
     * Records a snapshot of layers already on disk. The record is not synced: every layer it names was synced before
     * it was renamed into place ({@link #recordWithNewLayer}), so a crash can lose the record or tear it (recovery
     * drops it, and the step runs again), never make it name data the disk does not have. The next sync of the file
     * system, a later step's or the clean close's, makes it durable. A build step saved three fsyncs this way.
     */
    Snapshot record(List<String> layerIds) throws IOException {
        synchronized (mutex) {
            String id = Ids.random(SNAPSHOT_ID_LENGTH);
            uses.recorded(id);
            StringBuilder text = new StringBuilder(SNAPSHOT_HEADER).append('\n');
            for (String layer : layerIds) {
                text.append("layer ").append(layer).append('\n');
            }
            text.append(SNAPSHOT_END).append('\n');
            AtomicFiles.writeUnsynced(snapshots.resolve(id), text.toString());
            if (index != null) {
                index.put(id, List.copyOf(layerIds));
            }
            return new Snapshot(id, layerIds);
        }
    }

    /**
     * Makes the complete directory {@code layerDirectory} a layer (one rename, after its data is on disk) and records
     * a snapshot of {@code below} plus that layer. The rename is not synced either: a crash that loses it leaves the
     * directory under work/, which recovery deletes, and the record (if it survived) naming a missing layer, which
     * recovery drops.
     */
    Snapshot recordWithNewLayer(List<String> below, Path layerDirectory) throws IOException {
        PosixFiles.syncFilesystem(layerDirectory);
        synchronized (mutex) {
            String layer = addLayer(layerDirectory);
            List<String> all = new ArrayList<>(below);
            all.add(layer);
            return record(all);
        }
    }

    /** A snapshot of {@code parent} plus a layer {@code filler} writes; a failed fill leaves nothing behind. */
    Snapshot importLayer(Snapshot parent, Snapshotter.LayerFiller filler) throws IOException {
        requireLayers(parent);
        Path work = newWorkDirectory();
        try {
            Path layer = Files.createDirectory(work.resolve("layer"));
            filler.fill(layer);
            return recordWithNewLayer(parent.layers(), layer);
        } finally {
            Trees.deleteRecursively(work);
        }
    }

    private String addLayer(Path layerDirectory) throws IOException {
        String layer;
        do {
            layer = Ids.random(LAYER_ID_LENGTH);
        } while (Files.exists(layers.resolve(layer)));
        Files.move(layerDirectory, layers.resolve(layer), StandardCopyOption.ATOMIC_MOVE);
        return layer;
    }

    Optional<Snapshot> load(String id) throws IOException {
        if (Snapshot.SCRATCH.id().equals(id)) {
            return Optional.of(Snapshot.SCRATCH);
        }
        if (!Ids.isValid(id, SNAPSHOT_ID_LENGTH)) {
            throw new IllegalArgumentException("not a snapshot id: \"" + id + "\"");
        }
        if (!uses.loading(id)) {
            return Optional.empty();
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(snapshots.resolve(id), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        Snapshot snapshot = new Snapshot(id, parseSnapshot(snapshots.resolve(id), lines));
        requireLayers(snapshot);
        return Optional.of(snapshot);
    }

    void remove(String id) throws IOException {
        if (Snapshot.SCRATCH.id().equals(id)) {
            return;
        }
        if (!Ids.isValid(id, SNAPSHOT_ID_LENGTH)) {
            throw new IllegalArgumentException("not a snapshot id: \"" + id + "\"");
        }
        synchronized (mutex) {
            loadIndex();
            if (Files.deleteIfExists(snapshots.resolve(id))) {
                AtomicFiles.syncDirectory(snapshots);
            }
            index.remove(id);
            collectGarbage();
        }
    }

    /** Every snapshot record, from the index that removals keep current. */
    List<Snapshot> list() throws IOException {
        synchronized (mutex) {
            loadIndex();
            List<Snapshot> all = new ArrayList<>(index.size());
            index.forEach((id, layerIds) -> all.add(new Snapshot(id, layerIds)));
            return all;
        }
    }

    /** The time the snapshot's record was written (records are never rewritten). */
    Optional<Instant> createdAt(String id) throws IOException {
        if (!Ids.isValid(id, SNAPSHOT_ID_LENGTH)) {
            return Optional.empty();
        }
        try {
            return Optional.of(Files.getLastModifiedTime(snapshots.resolve(id)).toInstant());
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /** Marks layers as used by an open view so that removing their last snapshot does not delete them under it. */
    void acquire(List<String> layerIds) {
        synchronized (mutex) {
            for (String layer : layerIds) {
                inUse.merge(layer, 1, Integer::sum);
            }
        }
    }

    void release(List<String> layerIds) {
        synchronized (mutex) {
            for (String layer : layerIds) {
                inUse.computeIfPresent(layer, (key, count) -> count == 1 ? null : count - 1);
            }
        }
    }

    /** The layer that flattens {@code prefix}, if one was made before. */
    Optional<String> squashed(List<String> prefix) throws IOException {
        Path record = squashes.resolve(squashKey(prefix));
        try {
            List<String> lines = Files.readAllLines(record, StandardCharsets.UTF_8);
            String layer = lines.size() > 1 && lines.get(1).startsWith("squashed ")
                    ? lines.get(1).substring(9)
                    : "";
            if (Ids.isValid(layer, LAYER_ID_LENGTH)
                    && Files.isDirectory(layerPath(layer))
                    && parseLayers(record, lines, SQUASH_HEADER, 2).equals(prefix)) {
                return Optional.of(layer);
            }
            return Optional.empty();
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /** Flattens {@code prefix} into one new layer (hard links to the originals, which are immutable) and records it. */
    String squash(List<String> prefix) throws IOException {
        Path scratch = newWorkDirectory();
        try {
            Path flat = Files.createDirectory(scratch.resolve("layer"));
            new LayerFlattener(new FileCopier(true)).applyAll(layerPaths(prefix), flat);
            PosixFiles.syncFilesystem(flat);
            synchronized (mutex) {
                Optional<String> raced = squashed(prefix);
                if (raced.isPresent()) {
                    return raced.get();
                }
                String layer = addLayer(flat);
                // the squash record is synced: the rename it names must be on disk first
                AtomicFiles.syncDirectory(layers);
                StringBuilder text = new StringBuilder(SQUASH_HEADER)
                        .append('\n')
                        .append("squashed ")
                        .append(layer)
                        .append('\n');
                for (String id : prefix) {
                    text.append("layer ").append(id).append('\n');
                }
                AtomicFiles.write(squashes.resolve(squashKey(prefix)), text.toString());
                return layer;
            }
        } finally {
            Trees.deleteRecursively(scratch);
        }
    }

    void register(AutoCloseable handle) {
        openHandles.add(handle);
    }

    void unregister(AutoCloseable handle) {
        openHandles.remove(handle);
    }

    /** Deletes squashes no snapshot starts with and layers no snapshot or squash uses; the caller holds the mutex. */
    private void collectGarbage() throws IOException {
        loadIndex();
        Set<String> live = new HashSet<>(inUse.keySet());
        index.values().forEach(live::addAll);
        for (String key : Trees.names(squashes)) {
            Path record = squashes.resolve(key);
            List<String> lines = Files.readAllLines(record, StandardCharsets.UTF_8);
            String layer = lines.size() > 1 && lines.get(1).startsWith("squashed ")
                    ? lines.get(1).substring(9)
                    : "";
            List<String> prefix = parseLayers(record, lines, SQUASH_HEADER, 2);
            boolean used = inUse.containsKey(layer)
                    || index.values().stream()
                            .anyMatch(stack -> stack.size() >= prefix.size()
                                    && stack.subList(0, prefix.size()).equals(prefix));
            if (used) {
                live.add(layer);
            } else {
                Files.delete(record);
            }
        }
        for (String layer : Trees.names(layers)) {
            if (!live.contains(layer)) {
                Trees.deleteRecursively(layers.resolve(layer));
            }
        }
    }

    private void loadIndex() throws IOException {
        if (index != null) {
            return;
        }
        Map<String, List<String>> loaded = new HashMap<>();
        for (String id : Trees.names(snapshots)) {
            Path record = snapshots.resolve(id);
            loaded.put(id, parseSnapshot(record, Files.readAllLines(record, StandardCharsets.UTF_8)));
        }
        index = loaded;
    }

    /** The layers of a snapshot record of either version; a version 2 record without its end line is torn. */
    private static List<String> parseSnapshot(Path file, List<String> lines) throws IOException {
        if (!lines.isEmpty() && lines.getFirst().equals(SNAPSHOT_HEADER_V1)) {
            return parseLayers(file, lines, SNAPSHOT_HEADER_V1, 1);
        }
        if (lines.isEmpty() || !lines.getLast().equals(SNAPSHOT_END)) {
            throw new IOException("corrupt snapshot state: " + file + " does not end with \"" + SNAPSHOT_END
                    + "\" (torn by a crash?)");
        }
        return parseLayers(file, lines.subList(0, lines.size() - 1), SNAPSHOT_HEADER, 1);
    }

    private static List<String> parseLayers(Path file, List<String> lines, String header, int firstLayerLine)
            throws IOException {
        if (lines.isEmpty() || !lines.getFirst().equals(header)) {
            throw new IOException("corrupt snapshot state: " + file + " does not start with \"" + header + "\"");
        }
        List<String> out = new ArrayList<>();
        for (String line : lines.subList(firstLayerLine, lines.size())) {
            String layer = line.startsWith("layer ") ? line.substring(6) : "";
            if (!Ids.isValid(layer, LAYER_ID_LENGTH)) {
                throw new IOException("corrupt snapshot state: " + file + " has a bad line \"" + line + "\"");
            }
            out.add(layer);
        }
        return out;
    }

    private static String squashKey(List<String> prefix) {
        byte[] digest = Sha256.engine().digest(String.join("\n", prefix).getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(digest, 0, 16);
    }

    /** Closes every handle still open, marks a clean shutdown and releases the directory. */
    @Override
    public void close() throws IOException {
        IOException failure = null;
        for (AutoCloseable handle : List.copyOf(openHandles)) {
            try {
                handle.close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = new IOException("closing snapshot state " + root + " left something open", e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        try {
            if (failure == null && lock.isValid()) {
                // the records written without a sync reach the disk before the marker that says all is whole
                PosixFiles.syncFilesystem(root);
                AtomicFiles.write(root.resolve(CLEAN_MARKER), "");
            }
        } finally {
            if (lock.isValid()) {
                lock.release();
            }
            lockFile.close();
        }
        if (failure != null) {
            throw failure;
        }
    }
}
