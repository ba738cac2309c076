package dev.kiln.worker.fs;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;

/** What a file operation must keep or set on each file it writes, as {@code stat} shows it to a user. */
final class StatChecks {

    private StatChecks() {}

    /** {@code s} has these permission bits, owner and modification time. */
    static void assertModeOwnerAndTime(FileStat s, int permissions, int uid, int gid, Instant modified) {
        assertThat(s.permissions()).isEqualTo(permissions);
        assertThat(s.uid()).isEqualTo(uid);
        assertThat(s.gid()).isEqualTo(gid);
        assertThat(s.modified().toInstant()).isEqualTo(modified);
    }
}
