package dev.kiln.worker;

import dev.kiln.core.Trees;
import dev.kiln.core.sys.Lstat;
import dev.kiln.core.sys.PosixFiles;
import dev.kiln.worker.image.ImageStore;
import dev.kiln.worker.image.LayerBlob;
import dev.kiln.worker.ops.CacheMounts;
import dev.kiln.worker.snapshot.Snapshot;
import dev.kiln.worker.snapshot.Snapshotter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongConsumer;
import java.util.function.Predicate;

/**
 * Lists what the worker keeps on disk as {@link StoredRecord}s and removes them one at a time.
 *
 * <p>A snapshot is a stack of layers and snapshots share layers, so a record's size counts only the layers it adds:
 * those above its parent (the snapshot whose layers are the longest strict prefix of its own). A layer that several
 * records add (a merge restacks its inputs' layers) counts once, at the record with the shortest stack, which the
 * others then name as a parent too. A file hard-linked into several layers (a COPY from a local source links the
 * source's files) counts once too, at the first record in that order. The sizes thus add up to the disk the layers
 * take. Removing a record whose children were removed first frees its size, less the files another record still
 * links: so a removal tells what it freed itself ({@link DeletedFiles}).
 *
 * @param measures each layer's measure, taken once and kept until its files gain names
 */
record DiskUsage(
        Snapshotter snapshotter,
        CacheMounts cacheMounts,
        ImageStore images,
        SessionCopies sessionCopies,
        UsageLedger ledger,
        LayerMeasures measures) {

    /**
     * A layer's files as du counts them: {@code singlyLinked} bytes of the files with one link, which only this layer
     * keeps, and the files with more links (perhaps in other layers) as parallel arrays of device, inode and size. A
     * daemon keeps one per live layer, and a map with boxed keys took some 70 bytes a file: 47 MB of its heap after
     * W3's 33 builds of a 20,000-file COPY, against 24 bytes a file here.
     */
    record LayerFiles(long singlyLinked, long[] devices, long[] inodes, long[] sizes) {}

    List<StoredRecord> records() throws IOException {
        List<StoredRecord> records = new ArrayList<>(snapshotRecords());
        records.addAll(directoryRecords(
                cacheMounts.keys(),
                cacheMounts::path,
                cacheMounts::inUse,
                StoredRecord.Kind.CACHE_MOUNT,
                "exec.cachemount",
                "cached mount"));
        records.addAll(directoryRecords(
                sessionCopies.ids(),
                sessionCopies::path,
                sessionCopies::inUse,
                StoredRecord.Kind.SESSION_COPY,
                SessionCopies.TYPE,
                "a client's local directory"));
        return records;
    }

    /**
     * The records of directories kept by id outside the snapshots (cache mounts, session copies): each is in the
     * ledger from when it was made, measured as a tree, and described as its user named it or else by
     * {@code defaultDescription}. A directory gone meanwhile is left out.
     */
    private List<StoredRecord> directoryRecords(
            List<String> ids,
            Function<String, Path> path,
            Predicate<String> inUse,
            StoredRecord.Kind kind,
            String type,
            String defaultDescription)
            throws IOException {
        List<StoredRecord> records = new ArrayList<>();
        for (String id : ids) {
            Optional<Instant> made = modified(path.apply(id));
            if (made.isEmpty()) {
                continue;
            }
            UsageLedger.Entry entry = ledger.adopt(id, made.get());
            records.add(new StoredRecord(
                    id,
                    kind,
                    type,
                    entry.description().isEmpty() ? defaultDescription : entry.description(),
                    treeSize(path.apply(id)),
                    entry.created(),
                    entry.lastUsed(),
                    entry.usageCount(),
                    true,
                    inUse.test(id),
                    List.of()));
        }
        return records;
    }

    /**
     * Removes the record unless a build uses it now; returns the bytes its removal freed, empty when it removed
     * nothing. Each removal is measured on its own, just before it: once one of the names a file has is gone, the
     * removal of its last one frees it, so removals in sequence report what each really freed.
     */
    OptionalLong remove(StoredRecord record) throws IOException {
        return switch (record.kind()) {
            case SNAPSHOT -> removeSnapshot(record.id());
            case CACHE_MOUNT -> {
                // a build that takes the mount meanwhile makes the removal refuse
                DeletedFiles deleted = DeletedFiles.walk(List.of(cacheMounts.path(record.id())));
                if (!cacheMounts.remove(record.id())) {
                    yield OptionalLong.empty();
                }
                ledger.release(record.id(), true);
                yield OptionalLong.of(deleted.freed());
            }
            case SESSION_COPY -> {
                DeletedFiles deleted = DeletedFiles.walk(List.of(sessionCopies.path(record.id())));
                yield sessionCopies.remove(record.id()) ? OptionalLong.of(deleted.freed()) : OptionalLong.empty();
            }
        };
    }

    private OptionalLong removeSnapshot(String id) throws IOException {
        if (!ledger.claim(id)) {
            return OptionalLong.empty();
        }
        boolean removed = false;
        try {
            // claimed, no build loads the snapshot now, so no step links more names to its layers' files meanwhile
            DeletedFiles deleted = DeletedFiles.walk(
                    layersOnlyIn(id).stream().map(snapshotter::layerPath).toList());
            snapshotter.remove(id);
            removed = true;
            return OptionalLong.of(deleted.freed());
        } finally {
            ledger.release(id, removed);
        }
    }

    /**
     * The layers of snapshot {@code id} that no other snapshot lists: those its removal deletes. (A squash of a deep
     * stack, {@code OverlaySnapshotter}, goes with its last snapshot too; its names of these files are not counted, so
     * then the removal frees more than it tells, never less.)
     */
    private List<String> layersOnlyIn(String id) throws IOException {
        List<String> own = List.of();
        Set<String> others = new HashSet<>();
        for (Snapshot snapshot : snapshotter.list()) {
            if (snapshot.id().equals(id)) {
                own = snapshot.layers();
            } else {
                others.addAll(snapshot.layers());
            }
        }
        return own.stream().filter(layer -> !others.contains(layer)).distinct().toList();
    }

    private List<StoredRecord> snapshotRecords() throws IOException {
        List<Snapshot> snapshots = new ArrayList<>(snapshotter.list());
        Map<String, Instant> created = new HashMap<>();
        for (Snapshot snapshot : snapshots) {
            Optional<Instant> recorded = snapshotter.createdAt(snapshot.id());
            if (recorded.isPresent()) {
                created.put(
                        snapshot.id(),
                        ledger.adopt(snapshot.id(), recorded.get()).created());
            }
        }
        // removed since the listing: nothing to report
        snapshots.removeIf(snapshot -> !created.containsKey(snapshot.id()));
        Comparator<Snapshot> shortestFirst = Comparator.<Snapshot>comparingInt(
                        s -> s.layers().size())
                .thenComparing(s -> created.get(s.id()))
                .thenComparing(Snapshot::id);
        snapshots.sort(shortestFirst);

        Map<List<String>, Snapshot> byLayers = new HashMap<>();
        Set<String> liveLayers = new HashSet<>();
        for (Snapshot snapshot : snapshots) {
            byLayers.putIfAbsent(snapshot.layers(), snapshot);
            liveLayers.addAll(snapshot.layers());
        }
        measures.retain(liveLayers);
        Map<String, Snapshot> parent = new HashMap<>();
        Map<String, List<String>> own = new HashMap<>();
        Map<String, String> layerOwner = new HashMap<>();
        for (Snapshot snapshot : snapshots) {
            List<String> layers = snapshot.layers();
            Snapshot below = null;
            for (int n = layers.size() - 1; n > 0 && below == null; n--) {
                below = byLayers.get(layers.subList(0, n));
            }
            int from = below == null ? 0 : below.layers().size();
            if (below != null) {
                parent.put(snapshot.id(), below);
            }
            own.put(snapshot.id(), layers.subList(from, layers.size()));
            for (String layer : own.get(snapshot.id())) {
                layerOwner.putIfAbsent(layer, snapshot.id());
            }
        }

        Map<String, List<String>> parents = new HashMap<>();
        for (Snapshot snapshot : snapshots) {
            Set<String> up = new LinkedHashSet<>();
            if (parent.containsKey(snapshot.id())) {
                up.add(parent.get(snapshot.id()).id());
            }
            for (String layer : own.get(snapshot.id())) {
                up.add(layerOwner.get(layer));
            }
            up.remove(snapshot.id());
            parents.put(snapshot.id(), List.copyOf(up));
        }

        // a record below one a build holds is held too: its layers are part of the held stack
        Set<String> inUse = new HashSet<>();
        var pending = new ArrayDeque<String>();
        for (Snapshot snapshot : snapshots) {
            if (ledger.inUse(snapshot.id())) {
                pending.add(snapshot.id());
            }
        }
        while (!pending.isEmpty()) {
            String id = pending.poll();
            if (inUse.add(id)) {
                pending.addAll(parents.getOrDefault(id, List.of()));
            }
        }

        List<StoredRecord> records = new ArrayList<>(snapshots.size());
        // in the shortest-first order, so a file linked into several layers counts at the record of the shortest stack
        Set<InodeKey> counted = new HashSet<>();
        for (Snapshot snapshot : snapshots) {
            String id = snapshot.id();
            long size = 0;
            for (String layer : own.get(id)) {
                if (layerOwner.get(layer).equals(id)) {
                    LayerFiles files = layerFiles(layer);
                    size += files.singlyLinked();
                    for (int i = 0; i < files.inodes().length; i++) {
                        if (counted.add(new InodeKey(files.devices()[i], files.inodes()[i]))) {
                            size += files.sizes()[i];
                        }
                    }
                }
            }
            UsageLedger.Entry entry = ledger.entry(id).orElse(new UsageLedger.Entry(created.get(id), null, 0, "", ""));
            String description = entry.description();
            if (description.isEmpty() && !own.get(id).isEmpty()) {
                description = pulledFrom(own.get(id).getLast());
            }
            records.add(new StoredRecord(
                    id,
                    StoredRecord.Kind.SNAPSHOT,
                    entry.type().isEmpty() ? "regular" : entry.type(),
                    description,
                    size,
                    entry.created(),
                    entry.usageCount() == 0 ? null : entry.lastUsed(),
                    entry.usageCount(),
                    false,
                    inUse.contains(id),
                    parents.get(id)));
        }
        return records;
    }

    /** "pulled from REPOSITORY" for a layer unpacked from an image, else empty. */
    private String pulledFrom(String layer) {
        try {
            Optional<LayerBlob> blob = images.blobOf(layer);
            if (blob.isPresent() && !blob.get().sourceRepository().isEmpty()) {
                return "pulled from " + blob.get().sourceRepository() + " ("
                        + blob.get().descriptor().digest() + ")";
            }
        } catch (IOException unreadable) {
            // the listing goes without this description
        }
        return "";
    }

    private LayerFiles layerFiles(String layer) {
        return measures.of(layer, snapshotter.layerPath(layer), DiskUsage::measure);
    }

    /**
     * The regular files and symlinks under {@code root}, those linked more than once by inode. One lstat an entry:
     * the daemon measures each new layer shortly after the build that made it, while the next build may run, and
     * asking the JDK for the link count stat'ed every file a second time.
     */
    private static LayerFiles measure(Path root) {
        long[] single = {0};
        Map<InodeKey, Long> linked = new HashMap<>();
        eachFile(
                root,
                bytes -> single[0] += bytes,
                name -> linked.putIfAbsent(new InodeKey(name.device(), name.inode()), name.size()));
        long[] devices = new long[linked.size()];
        long[] inodes = new long[linked.size()];
        long[] sizes = new long[linked.size()];
        int i = 0;
        for (Map.Entry<InodeKey, Long> file : linked.entrySet()) {
            devices[i] = file.getKey().device();
            inodes[i] = file.getKey().inode();
            sizes[i++] = file.getValue();
        }
        return new LayerFiles(single[0], devices, inodes, sizes);
    }

    /**
     * Walks the entries under {@code dir} that take data blocks (devices, fifos and sockets take none): the size of
     * each symlink and of each regular file with one name goes to {@code singlyLinked}, the lstat of each name of a
     * file with more to {@code linked}. What is gone by the time it is reached (a layer being removed meanwhile) takes
     * no space and is skipped.
     */
    static void eachFile(Path dir, LongConsumer singlyLinked, Consumer<Lstat> linked) {
        List<Path> children;
        try {
            children = Trees.children(dir);
        } catch (IOException gone) {
            return;
        }
        for (Path child : children) {
            Lstat stat;
            try {
                stat = Lstat.ofIfExists(child);
            } catch (IOException unreadable) {
                continue;
            }
            if (stat == null) {
                continue;
            }
            switch (stat.type()) {
                case PosixFiles.S_IFDIR -> eachFile(child, singlyLinked, linked);
                case PosixFiles.S_IFLNK -> singlyLinked.accept(stat.size());
                case PosixFiles.S_IFREG -> {
                    if (stat.links() > 1) {
                        linked.accept(stat);
                    } else {
                        singlyLinked.accept(stat.size());
                    }
                }
                default -> {
                    // devices, fifos and sockets take no data blocks
                }
            }
        }
    }

    /** One file however many names it has. */
    record InodeKey(long device, long inode) {}

    /**
     * Bytes of the regular files and symlinks under {@code root}, each file counted once however often linked; 0 when
     * {@code root} is gone.
     */
    static long treeSize(Path root) {
        long[] total = {0};
        Set<InodeKey> seen = new HashSet<>();
        eachFile(root, bytes -> total[0] += bytes, name -> {
            if (seen.add(new InodeKey(name.device(), name.inode()))) {
                total[0] += name.size();
            }
        });
        return total[0];
    }

    private static Optional<Instant> modified(Path path) {
        try {
            return Optional.of(Files.getLastModifiedTime(path).toInstant());
        } catch (IOException gone) {
            return Optional.empty();
        }
    }
}
