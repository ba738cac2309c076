package dev.kiln.worker.runtime;

import java.util.Set;

/**
 * A resource limit as Docker's --ulimit and LLB name it: {@code nofile}, {@code nproc}, ... Soft and hard are
 * counts or bytes; {@link #UNLIMITED} stands for no limit.
 */
public record Ulimit(String name, long soft, long hard) {
    public static final long UNLIMITED = -1;
    private static final Set<String> NAMES = Set.of(
            "as",
            "core",
            "cpu",
            "data",
            "fsize",
            "locks",
            "memlock",
            "msgqueue",
            "nice",
            "nofile",
            "nproc",
            "rss",
            "rtprio",
            "rttime",
            "sigpending",
            "stack");

    public Ulimit {
        if (name == null || !NAMES.contains(name)) {
            throw new IllegalArgumentException("unknown ulimit \"" + name + "\"; known: "
                    + NAMES.stream().sorted().toList());
        }
        if (soft < UNLIMITED || hard < UNLIMITED) {
            throw new IllegalArgumentException("ulimit " + name + ": limits must be -1 (unlimited) or positive");
        }
        if (hard != UNLIMITED && (soft == UNLIMITED || soft > hard)) {
            throw new IllegalArgumentException(
                    "ulimit " + name + ": soft limit " + soft + " exceeds hard limit " + hard);
        }
    }

    /** The name in the OCI runtime spec, e.g. RLIMIT_NOFILE. */
    String rlimitType() {
        return "RLIMIT_" + name.toUpperCase(java.util.Locale.ROOT);
    }
}
