package dev.kiln.engine;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What {@link Engine#diskUsage} lists: records matching any of the filters (BuildKit's and containerd's syntax,
 * see {@link UsageFilter}), and with an age limit only records not used within it.
 *
 * @param filters  filter expressions, such as {@code type==regular} or {@code description~=RUN,inuse}; none
 *                 lists everything
 * @param ageLimit list only records last used longer ago than this; zero for all
 */
public record DiskUsageQuery(List<String> filters, Duration ageLimit) {

    public DiskUsageQuery {
        filters = List.copyOf(filters);
        Objects.requireNonNull(ageLimit, "age limit");
        if (ageLimit.isNegative()) {
            throw new IllegalArgumentException("the age limit must not be negative: " + ageLimit);
        }
        UsageFilter.parse(filters);
    }

    /** Every record. */
    public static DiskUsageQuery all() {
        return new DiskUsageQuery(List.of(), Duration.ZERO);
    }

    public static DiskUsageQuery filtered(String... filters) {
        return new DiskUsageQuery(List.of(filters), Duration.ZERO);
    }
}
