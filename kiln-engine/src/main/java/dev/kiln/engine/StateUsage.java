package dev.kiln.engine;

import dev.kiln.solver.CacheRecord;
import dev.kiln.solver.CacheStore;
import dev.kiln.worker.StoredRecord;
import dev.kiln.worker.Worker;
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
import java.util.Optional;
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
 */
record StateUsage(Worker worker, CacheStore cache, Path stateDir) {

    List<UsageRecord> list(DiskUsageQuery query) throws IOException {
        UsageFilter filter = UsageFilter.parse(query.filters());
        Instant cutoff = Instant.now().minus(query.ageLimit());
        List<UsageRecord> listed = new ArrayList<>();
        for (UsageRecord record : records()) {
            boolean recent = !query.ageLimit().isZero()
                    && record.lastUsedAt() != null
                    && record.lastUsedAt().isAfter(cutoff);
            if (filter.matches(record) && !recent) {
                listed.add(record);
            }
        }
        return listed;
    }

    List<UsageRecord> prune(PruneOptions options, Consumer<UsageRecord> onRemoved) throws IOException {
        UsageFilter filter = UsageFilter.parse(options.filters());
        List<UsageRecord> removed = new ArrayList<>();
        Set<String> removedSnapshots = new HashSet<>();
        try {
            long keepBytes = 0;
            long total = 0;
            if (options.limitsSpace()) {
                total = records().stream()
                        .filter(r -> !r.shared())
                        .mapToLong(UsageRecord::size)
                        .sum();
                keepBytes = keepBytes(total, Files.getFileStore(stateDir).getUsableSpace(), options);
            }
            Instant cutoff = Instant.now().minus(options.keepDuration());
            while (keepBytes == 0 || total >= keepBytes) {
                if (Thread.currentThread().isInterrupted()) {
                    // whoever runs the prune is stopping (a daemon's GC at close): each removal is whole, so stop here
                    break;
                }
                Map<String, StoredRecord> stored = new HashMap<>();
                List<UsageRecord> candidates = new ArrayList<>();
                List<UsageRecord> current = records(stored);
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
                    StoredRecord record = stored.get(candidate.id());
                    if (worker.remove(record)) {
                        if (record.kind() == StoredRecord.Kind.SNAPSHOT) {
                            removedSnapshots.add(record.id());
                        }
                        total -= candidate.size();
                        removed.add(candidate);
                        onRemoved.accept(candidate);
                    }
                }
                if (removed.size() == before) {
                    break;
                }
            }
        } finally {
            forgetResults(removedSnapshots);
        }
        return removed;
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
