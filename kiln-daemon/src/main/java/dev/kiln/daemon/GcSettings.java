package dev.kiln.daemon;

import dev.kiln.engine.DiskSpace;
import dev.kiln.engine.GcPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The daemon's garbage collection as buildkitd.toml's {@code [worker.oci]} section gives it: {@code gc} on or off,
 * the worker-level limits the default policies use ({@code gckeepstorage}, {@code reservedSpace},
 * {@code maxUsedSpace}, {@code minFreeSpace}), and the {@code [[worker.oci.gcpolicy]]} tables. Sizes stay as written
 * (a percentage needs the state's disk) until {@link #policies} resolves them as buildkitd's getGCPolicy does.
 *
 * @param enabled   {@code gc}; empty (unset) means on, as in buildkitd
 * @param interval  the least time between two collections after builds (BuildKit's one minute; tests shorten it)
 */
record GcSettings(
        Optional<Boolean> enabled,
        DiskSpace keepStorage,
        DiskSpace reservedSpace,
        DiskSpace maxUsedSpace,
        DiskSpace minFreeSpace,
        List<Policy> policies,
        Duration interval) {

    static final Duration DEFAULT_INTERVAL = Duration.ofMinutes(1);

    /** One {@code [[worker.oci.gcpolicy]]} table; {@code keepBytes} is the older name of {@code reservedSpace}. */
    record Policy(
            boolean all,
            List<String> filters,
            Duration keepDuration,
            DiskSpace keepBytes,
            DiskSpace reservedSpace,
            DiskSpace maxUsedSpace,
            DiskSpace minFreeSpace) {

        Policy {
            filters = List.copyOf(filters);
        }
    }

    GcSettings {
        policies = List.copyOf(policies);
    }

    static GcSettings defaults() {
        return new GcSettings(
                Optional.empty(),
                DiskSpace.UNSET,
                DiskSpace.UNSET,
                DiskSpace.UNSET,
                DiskSpace.UNSET,
                List.of(),
                DEFAULT_INTERVAL);
    }

    boolean on() {
        return enabled.orElse(true);
    }

    /**
     * The engine's policies on a state whose file system has {@code diskTotal} bytes: the tables as written, else
     * buildkitd's four default tiers with the worker-level limits ({@code gckeepstorage} standing for
     * {@code reservedSpace} when none of the three newer names is given); none when GC is off.
     */
    List<GcPolicy> policies(long diskTotal) {
        if (!on()) {
            return List.of();
        }
        if (policies.isEmpty()) {
            boolean unset = reservedSpace.isUnset() && maxUsedSpace.isUnset() && minFreeSpace.isUnset();
            return GcPolicy.defaults(unset ? keepStorage : reservedSpace, maxUsedSpace, minFreeSpace, diskTotal);
        }
        List<GcPolicy> resolved = new ArrayList<>();
        for (Policy policy : policies) {
            DiskSpace reserved = policy.reservedSpace().isUnset() ? policy.keepBytes() : policy.reservedSpace();
            resolved.add(new GcPolicy(
                    policy.all(),
                    policy.filters(),
                    policy.keepDuration(),
                    reserved.asBytes(diskTotal),
                    policy.maxUsedSpace().asBytes(diskTotal),
                    policy.minFreeSpace().asBytes(diskTotal)));
        }
        return resolved;
    }

    GcSettings withEnabled(boolean value) {
        return new GcSettings(
                Optional.of(value), keepStorage, reservedSpace, maxUsedSpace, minFreeSpace, policies, interval);
    }

    GcSettings withKeepStorage(DiskSpace value) {
        return new GcSettings(enabled, value, reservedSpace, maxUsedSpace, minFreeSpace, policies, interval);
    }

    GcSettings withReservedSpace(DiskSpace value) {
        return new GcSettings(enabled, keepStorage, value, maxUsedSpace, minFreeSpace, policies, interval);
    }

    GcSettings withMaxUsedSpace(DiskSpace value) {
        return new GcSettings(enabled, keepStorage, reservedSpace, value, minFreeSpace, policies, interval);
    }

    GcSettings withMinFreeSpace(DiskSpace value) {
        return new GcSettings(enabled, keepStorage, reservedSpace, maxUsedSpace, value, policies, interval);
    }

    GcSettings withPolicies(List<Policy> value) {
        return new GcSettings(enabled, keepStorage, reservedSpace, maxUsedSpace, minFreeSpace, value, interval);
    }

    GcSettings withInterval(Duration value) {
        return new GcSettings(enabled, keepStorage, reservedSpace, maxUsedSpace, minFreeSpace, policies, value);
    }
}
