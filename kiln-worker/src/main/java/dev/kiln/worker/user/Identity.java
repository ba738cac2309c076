package dev.kiln.worker.user;

import java.util.List;

/**
 * Who a process runs as: numeric ids as the kernel sees them, the supplementary groups (the primary group
 * included, then the memberships from /etc/group), and the home directory from /etc/passwd ("/" when the user has
 * no entry).
 */
public record Identity(int uid, int gid, List<Integer> additionalGids, String home) {
    public static final Identity ROOT = new Identity(0, 0, List.of(0), "/root");

    public Identity {
        if (uid < 0 || gid < 0) {
            throw new IllegalArgumentException("uid and gid must not be negative: " + uid + ":" + gid);
        }
        additionalGids = List.copyOf(additionalGids);
        if (home == null || home.isEmpty()) {
            home = "/";
        }
    }
}
