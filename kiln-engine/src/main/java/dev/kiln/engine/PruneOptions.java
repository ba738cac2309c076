package dev.kiln.engine;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What {@link Engine#prune} removes, as {@code buildctl prune} asks it (BuildKit's PruneInfo). Records a running
 * build uses are never removed.
 *
 * @param all           also records the default prune keeps (BuildKit's {@code internal} and {@code frontend}
 *                      types; Kiln makes none of them yet, so the difference is one of intent)
 * @param keepDuration  keep records used within this long; zero keeps none for their age
 * @param filters       remove only records matching one of these ({@link UsageFilter}); none matches all
 * @param reservedSpace never prune the cache below this many bytes; zero for no such floor
 * @param maxUsedSpace  prune, least recently used first, until the cache takes at most this many bytes; zero
 *                      for no such cap
 * @param minFreeSpace  prune, least recently used first, until the state's file system has this many bytes free;
 *                      zero for no such target
 */
public record PruneOptions(
        boolean all,
        Duration keepDuration,
        List<String> filters,
        long reservedSpace,
        long maxUsedSpace,
        long minFreeSpace) {

    public PruneOptions {
        Objects.requireNonNull(keepDuration, "keep duration");
        if (keepDuration.isNegative()) {
            throw new IllegalArgumentException("the keep duration must not be negative: " + keepDuration);
        }
        if (reservedSpace < 0 || maxUsedSpace < 0 || minFreeSpace < 0) {
            throw new IllegalArgumentException("space limits must not be negative");
        }
        filters = List.copyOf(filters);
        UsageFilter.parse(filters);
    }

    /** {@code buildctl prune} without flags: every record no build uses, except internal and frontend ones. */
    public static PruneOptions defaults() {
        return new PruneOptions(false, Duration.ZERO, List.of(), 0, 0, 0);
    }

    /** {@code buildctl prune --all}. */
    public static PruneOptions everything() {
        return new PruneOptions(true, Duration.ZERO, List.of(), 0, 0, 0);
    }

    public PruneOptions withKeepDuration(Duration keep) {
        return new PruneOptions(all, keep, filters, reservedSpace, maxUsedSpace, minFreeSpace);
    }

    public PruneOptions withFilters(String... expressions) {
        return new PruneOptions(all, keepDuration, List.of(expressions), reservedSpace, maxUsedSpace, minFreeSpace);
    }

    boolean limitsSpace() {
        return reservedSpace != 0 || maxUsedSpace != 0 || minFreeSpace != 0;
    }
}
