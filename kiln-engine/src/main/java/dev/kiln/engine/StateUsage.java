package dev.kiln.engine;

import dev.kiln.solver.CacheRecord;
import dev.kiln.solver.CacheStore;
import dev.kiln.worker.DeferredSnapshotResult;
import dev.kiln.worker.StoredRecord;
import dev.kiln.worker.Worker;
import dev.kiln.worker.image.ImageStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The engine's disk usage and its prune, after BuildKit's cache manager (cache/manager.go): the worker's
 * snapshots and cache mounts as {@link UsageRecord}s, described by the build steps the solver's cache recorded for
 * them, and removed the way BuildKit removes cache records.
 *
 * <p>A prune removes, in passes, every record that matches and that nothing holds: no running build uses it and
 * no remaining record is built on it (its children go in one pass, it in the next, as BuildKit's loop does). Without
 * {@code all} it keeps the {@code internal} and {@code frontend} types, as BuildKit does. With a space limit it
 * removes one record at a time, least recently used first, until the limit holds. The solver's cache entries that
 * name a removed snapshot go too, so the next build runs those steps again.
 *
 * <p>The content store (compressed layer blobs of pulls, exports and cache exports; manifests and configs) is disk
 * use too, listed as two internal records: {@value #CONTENT_STORE}, the blobs something refers to (a stored layer,
 * a named image, a result the cache records), which go only with what refers to them, and
 * {@value #UNREFERENCED_CONTENT}, those a sweep would delete now. A prune with a space limit counts both: over the
 * limit, it first sweeps the unreferenced blobs, then after each snapshot it removes sweeps again, so that the blobs
 * of the removed layers are freed and counted before the next removal. A sweep runs only while no build does
 * ({@link Worker#sweepContent}); while one runs the prune counts only the referenced blobs (the others are gone at
 * the next sweep) and removes records only.
 */
record StateUsage(Worker worker, CacheStore cache, Path stateDir) {

    /** The id of the record of the content store's blobs that something refers to. */
    static final String CONTENT_STORE = "content-store";

    /** The id of the record of the content store's blobs that nothing refers to any more. */
    static final String UNREFERENCED_CONTENT = "content-store-unreferenced";

    /** What a prune removed: the records, and the blobs its sweeps deleted. */
    record Pruned(List<UsageRecord> records, ImageStore.Swept swept) {

        Pruned {
            records = List.copyOf(records);
            Objects.requireNonNull(swept, "swept");
        }
    }

    List<UsageRecord> list(DiskUsageQuery query) throws IOException {
        UsageFilter filter = UsageFilter.parse(query.filters());
        Instant cutoff = Instant.now().minus(query.ageLimit());
        List<UsageRecord> listed = new ArrayList<>();
        List<UsageRecord> all = new ArrayList<>(records());
        all.addAll(contentRecords(worker.contentUse(liveChains())));
        for (UsageRecord record : all) {
            boolean recent = !query.ageLimit().isZero()
                    && record.lastUsedAt() != null
                    && record.lastUsedAt().isAfter(cutoff);
            if (filter.matches(record) && !recent) {
                listed.add(record);
            }
        }
        return listed;
    }

    Pruned prune(PruneOptions options, Consumer<UsageRecord> onRemoved) throws IOException {
        UsageFilter filter = UsageFilter.parse(options.filters());
        List<UsageRecord> removed = new ArrayList<>();
        Set<String> removedSnapshots = new HashSet<>();
        ImageStore.Swept swept = ImageStore.Swept.NONE;
        try {
            Scan scan = scan(options.limitsSpace());
            long keepBytes = options.limitsSpace()
                    ? keepBytes(
                            recordBytes(scan.records()) + scan.blobs().bytes(),
                            Files.getFileStore(stateDir).getUsableSpace(),
                            options)
                    : 0;
            Instant cutoff = Instant.now().minus(options.keepDuration());
            while (true) {
                if (Thread.currentThread().isInterrupted()) {
                    // whoever runs the prune is stopping (a daemon's GC at close): each removal is whole, so stop here
                    break;
                }
                List<UsageRecord> current = scan.records();
                if (keepBytes != 0) {
                    Counted counted = countBlobs(recordBytes(current), keepBytes, scan);
                    swept = swept.plus(counted.swept());
                    if (recordBytes(current) + counted.blobBytes() < keepBytes) {
                        break;
                    }
                }
                List<UsageRecord> candidates = new ArrayList<>();
                Set<String> standOn = new HashSet<>();
                current.forEach(record -> standOn.addAll(record.parents()));
                for (UsageRecord record : current) {
                    if (record.inUse() || standOn.contains(record.id())) {
                        continue;
                    }
                    if (!options.all()
                            && (record.recordType().equals(UsageRecord.INTERNAL)
                                    || record.recordType().equals(UsageRecord.FRONTEND)
                                    || record.shared())) {
                        continue;
                    }
                    if (!options.keepDuration().isZero()
                            && record.lastUsedAt() != null
                            && record.lastUsedAt().isAfter(cutoff)) {
                        continue;
                    }
                    if (filter.matches(record)) {
                        candidates.add(record);
                    }
                }
                if (keepBytes != 0) {
                    // the least recently used first, one at a time, so the limit is met with the least removed
                    candidates.sort(Comparator.comparing(
                            UsageRecord::lastUsedAt, Comparator.nullsFirst(Comparator.naturalOrder())));
                    candidates = candidates.subList(0, Math.min(1, candidates.size()));
                }
                int before = removed.size();
                for (UsageRecord candidate : candidates) {
                    StoredRecord record = scan.stored().get(candidate.id());
                    OptionalLong freed = worker.remove(record);
                    if (freed.isPresent()) {
                        if (record.kind() == StoredRecord.Kind.SNAPSHOT) {
                            removedSnapshots.add(record.id());
                        }
                        // what the removal freed, not the listed size: a file hard-linked elsewhere may stay
                        UsageRecord gone = candidate.withSize(freed.getAsLong());
                        removed.add(gone);
                        onRemoved.accept(gone);
                    }
                }
                if (removed.size() == before) {
                    break;
                }
                if (keepBytes != 0) {
                    // before the next pass counts blobs: those of the removed snapshots' results are no longer live
                    forgetResults(removedSnapshots);
                    removedSnapshots.clear();
                }
                scan = scan(keepBytes != 0);
            }
        } finally {
            forgetResults(removedSnapshots);
        }
        return new Pruned(removed, swept);
    }

    /**
     * Deletes the blobs nothing refers to any more, as after a prune without filters; nothing while a build runs (the
     * next prune gets them).
     */
    ImageStore.Swept sweep() throws IOException {
        return worker.sweepContent(liveChains()).orElse(ImageStore.Swept.NONE);
    }

    /**
     * What one pass of a prune sees: the records, the worker's record behind each, and for a space limit the chains
     * the solver's cache keeps live and the content store's use by them (else none).
     */
    private record Scan(
            List<UsageRecord> records,
            Map<String, StoredRecord> stored,
            Set<String> liveChains,
            ImageStore.ContentUse blobs) {}

    private Scan scan(boolean withBlobs) throws IOException {
        Map<String, StoredRecord> stored = new HashMap<>();
        List<UsageRecord> records = records(stored);
        if (!withBlobs) {
            return new Scan(records, stored, Set.of(), null);
        }
        Set<String> live = liveChains();
        return new Scan(records, stored, live, worker.contentUse(live));
    }

    /** The content store's bytes a limited prune counts, after the sweep it made to get under the limit. */
    private record Counted(long blobBytes, ImageStore.Swept swept) {}

    /**
     * The blob bytes to count against {@code keepBytes} beside {@code recordBytes}: all of them when they fit or
     * nothing is unreferenced; otherwise the unreferenced ones are swept first, and while a build runs (no sweep)
     * only the referenced ones count, since the next sweep deletes the others without removing any record.
     */
    private Counted countBlobs(long recordBytes, long keepBytes, Scan scan) {
        Set<String> liveChains = scan.liveChains();
        ImageStore.ContentUse use = scan.blobs();
        if (recordBytes + use.bytes() < keepBytes || use.unreferencedBlobs() == 0) {
            return new Counted(use.bytes(), ImageStore.Swept.NONE);
        }
        Optional<ImageStore.Swept> swept;
        try {
            swept = worker.sweepContent(liveChains);
        } catch (IOException | RuntimeException unreadable) {
            // what refers to the blobs cannot be read: count them all, and prune records as if no sweep could run
            return new Counted(use.bytes(), ImageStore.Swept.NONE);
        }
        if (swept.isEmpty()) {
            return new Counted(use.referencedBytes(), ImageStore.Swept.NONE);
        }
        // what the sweep kept; a blob a build wrote between the count and the sweep is counted at the next pass
        return new Counted(use.bytes() - swept.get().bytes(), swept.get());
    }

    private static long recordBytes(List<UsageRecord> records) {
        return records.stream()
                .filter(r -> !r.shared())
                .mapToLong(UsageRecord::size)
                .sum();
    }

    /**
     * The content store as du lists it: the referenced blobs as a record a prune cannot remove (held by what refers
     * to them, so listed as in use: not reclaimable), the unreferenced ones as a reclaimable record; none when empty.
     */
    private static List<UsageRecord> contentRecords(ImageStore.ContentUse use) {
        List<UsageRecord> records = new ArrayList<>(2);
        if (use.referencedBlobs() > 0) {
            records.add(new UsageRecord(
                    CONTENT_STORE,
                    false,
                    true,
                    use.referencedBytes(),
                    use.created(),
                    null,
                    0,
                    "content store: " + use.referencedBlobs()
                            + " blobs (layers, manifests, configs) that stored layers, named images and cached"
                            + " results refer to",
                    UsageRecord.INTERNAL,
                    false,
                    List.of()));
        }
        if (use.unreferencedBlobs() > 0) {
            records.add(new UsageRecord(
                    UNREFERENCED_CONTENT,
                    false,
                    false,
                    use.unreferencedBytes(),
                    use.created(),
                    null,
                    0,
                    "content store: " + use.unreferencedBlobs()
                            + " blobs nothing refers to any more; the next prune deletes them",
                    UsageRecord.INTERNAL,
                    false,
                    List.of()));
        }
        return records;
    }

    /** The chain IDs (hex) of the deferred results the solver's cache still records: a sweep keeps their blobs. */
    private Set<String> liveChains() throws IOException {
        Set<String> live = new HashSet<>();
        for (String key : cache.keys()) {
            cache.lookup(key)
                    .ifPresent(record -> record.resultIds().stream()
                            .filter(id -> id.startsWith(DeferredSnapshotResult.ID_PREFIX))
                            .forEach(id -> live.add(id.substring(DeferredSnapshotResult.ID_PREFIX.length()))));
        }
        return live;
    }

    /** BuildKit's calculateKeepBytes: how much the prune may leave; zero for no space limit. */
    static long keepBytes(long total, long free, PruneOptions options) {
        if (!options.limitsSpace()) {
            return 0;
        }
        long keep = options.maxUsedSpace();
        long excess = options.minFreeSpace() - free;
        if (options.minFreeSpace() != 0 && excess > 0) {
            keep = keep == 0 ? total - excess : Math.min(keep, total - excess);
        } else if (options.minFreeSpace() != 0 && keep == 0) {
            keep = total;
        }
        return Math.max(keep, options.reservedSpace());
    }

    private List<UsageRecord> records() throws IOException {
        return records(new HashMap<>());
    }

    /** Every record, described; {@code stored} receives the worker's record behind each. */
    private List<UsageRecord> records(Map<String, StoredRecord> stored) throws IOException {
        Map<String, String> stepNames = stepNames();
        List<UsageRecord> records = new ArrayList<>();
        for (StoredRecord record : worker.diskUsage()) {
            stored.put(record.id(), record);
            String description = record.description();
            String step = stepNames.get(record.id());
            if (description.isEmpty() && step != null) {
                description = step;
            }
            records.add(new UsageRecord(
                    record.id(),
                    record.mutable(),
                    record.inUse(),
                    record.size(),
                    record.created(),
                    record.lastUsed(),
                    record.usageCount(),
                    description,
                    record.type(),
                    false,
                    record.parents()));
        }
        return records;
    }

    /** The name of the step that made each result, from the solver's cache records. */
    private Map<String, String> stepNames() throws IOException {
        Map<String, String> names = new HashMap<>();
        for (String key : cache.keys()) {
            Optional<CacheRecord> record = cache.lookup(key);
            if (record.isPresent()) {
                for (String id : record.get().resultIds()) {
                    names.putIfAbsent(id, record.get().vertexName());
                }
            }
        }
        return names;
    }

    /** Drops the cache entries that name a removed snapshot: each would be a miss anyway, and costs a file. */
    private void forgetResults(Set<String> removedSnapshots) throws IOException {
        if (removedSnapshots.isEmpty()) {
            return;
        }
        for (String key : cache.keys()) {
            Optional<CacheRecord> record = cache.lookup(key);
            if (record.isPresent() && record.get().resultIds().stream().anyMatch(removedSnapshots::contains)) {
                cache.remove(key);
            }
        }
    }
}
