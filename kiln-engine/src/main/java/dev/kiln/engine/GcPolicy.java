package dev.kiln.engine;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * One rule of the engine's garbage collection, with buildkitd's names and meanings ({@code [[worker.oci.gcpolicy]]}
 * in buildkitd.toml, BuildKit's PruneInfo): a collection runs the engine's policies in order, each a prune that
 * removes the least recently used records first and never one a running build holds.
 *
 * @param all           also remove the {@code internal} and {@code frontend} records a plain prune keeps
 * @param filters       only records matching one of these ({@link UsageFilter}, such as {@code type==source.local});
 *                      none: every record
 * @param keepDuration  keep records used within this long; zero keeps none for their age
 * @param reservedSpace never remove records while the cache takes less than this many bytes; zero: no floor
 * @param maxUsedSpace  remove records until the cache takes at most this many bytes; zero: no cap
 * @param minFreeSpace  remove records until the state's file system has this many bytes free (never below
 *                      {@code reservedSpace}); zero: no target
 */
public record GcPolicy(
        boolean all,
        List<String> filters,
        Duration keepDuration,
        long reservedSpace,
        long maxUsedSpace,
        long minFreeSpace) {

    /** BuildKit's cap on the default reserved space: 10% of the disk, at most this. */
    static final long DEFAULT_RESERVE_CAP = 10_000_000_000L;
    /** BuildKit's cap on the default maximum: 80% of the disk, at most this. */
    static final long DEFAULT_MAX_CAP = 100_000_000_000L;

    public GcPolicy {
        filters = List.copyOf(filters);
        Objects.requireNonNull(keepDuration, "keep duration");
        // the prune the policy becomes checks the rest, so that a bad policy fails where it is made
        new PruneOptions(all, keepDuration, filters, reservedSpace, maxUsedSpace, minFreeSpace);
    }

    /** A policy with only a cap on the cache's size. */
    public static GcPolicy maxUsedSpace(long bytes) {
        return new GcPolicy(false, List.of(), Duration.ZERO, 0, bytes, 0);
    }

    public GcPolicy withAll(boolean value) {
        return new GcPolicy(value, filters, keepDuration, reservedSpace, maxUsedSpace, minFreeSpace);
    }

    public GcPolicy withFilters(String... expressions) {
        return new GcPolicy(all, List.of(expressions), keepDuration, reservedSpace, maxUsedSpace, minFreeSpace);
    }

    public GcPolicy withKeepDuration(Duration value) {
        return new GcPolicy(all, filters, value, reservedSpace, maxUsedSpace, minFreeSpace);
    }

    /** The prune this policy runs. */
    public PruneOptions toPruneOptions() {
        return new PruneOptions(all, keepDuration, filters, reservedSpace, maxUsedSpace, minFreeSpace);
    }

    /**
     * buildkitd's four default tiers for a state on a file system of {@code diskTotal} bytes (zero: unknown), with
     * the worker-level limits of its config ({@link DiskSpace#UNSET} where not given); with none given, the reserved
     * space is 10% of the disk up to 10 GB, the cap 80% up to 100 GB, and the free-space target 20%:
     * <ol>
     * <li>local sources, cache mounts and git checkouts unused for 48 hours, once the cache passes 512 MB;</li>
     * <li>anything unused for 60 days, within the limits;</li>
     * <li>anything, least recently used first, to stay within the limits;</li>
     * <li>the same, internal and frontend records too.</li>
     * </ol>
     * The first tier's filters are three alternatives; BuildKit writes them as one filter of three conditions that no
     * record meets, which leaves its first tier without effect.
     */
    public static List<GcPolicy> defaults(DiskSpace reserved, DiskSpace maxUsed, DiskSpace minFree, long diskTotal) {
        if (reserved.isUnset() && maxUsed.isUnset() && minFree.isUnset()) {
            reserved = DiskSpace.ofPercent(10);
            if (reserved.asBytes(diskTotal) > DEFAULT_RESERVE_CAP) {
                reserved = DiskSpace.ofBytes(DEFAULT_RESERVE_CAP);
            }
            maxUsed = DiskSpace.ofPercent(80);
            if (maxUsed.asBytes(diskTotal) > DEFAULT_MAX_CAP) {
                maxUsed = DiskSpace.ofBytes(DEFAULT_MAX_CAP);
            }
            minFree = DiskSpace.ofPercent(20);
        }
        long reserve = reserved.asBytes(diskTotal);
        long max = maxUsed.asBytes(diskTotal);
        long free = minFree.asBytes(diskTotal);
        return List.of(
                new GcPolicy(
                        false,
                        List.of(
                                "type==" + UsageRecord.LOCAL_SOURCE,
                                "type==" + UsageRecord.CACHE_MOUNT,
                                "type==" + UsageRecord.GIT_CHECKOUT),
                        Duration.ofHours(48),
                        0,
                        512_000_000L,
                        0),
                new GcPolicy(false, List.of(), Duration.ofDays(60), reserve, max, free),
                new GcPolicy(false, List.of(), Duration.ZERO, reserve, max, free),
                new GcPolicy(true, List.of(), Duration.ZERO, reserve, max, free));
    }

    /** The defaults with no worker-level limits. */
    public static List<GcPolicy> defaults(long diskTotal) {
        return defaults(DiskSpace.UNSET, DiskSpace.UNSET, DiskSpace.UNSET, diskTotal);
    }
}
