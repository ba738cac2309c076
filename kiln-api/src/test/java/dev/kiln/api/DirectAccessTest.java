package dev.kiln.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The grant a same-host client writes and its daemon takes: real files, real owners and inodes. */
class DirectAccessTest {

    @TempDir
    Path tmp;

    Path state;
    Path context;

    @BeforeEach
    void state() throws Exception {
        state = tmp.resolve("state");
        context = Files.createDirectories(tmp.resolve("context"));
        DirectAccess.reset(state);
    }

    @Test
    void theDaemonTakesWhatTheClientGrantedOnceAndTheGrantIsGone() throws Exception {
        Path out = tmp.resolve("out/image.tar"); // neither the file nor its directory exists yet
        Optional<Path> grant = new DirectAccess("s1", Map.of("context", context), Map.of(0, out)).offer(state);

        assertThat(grant).isPresent();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(DirectAccess.directory(state))))
                .isEqualTo("rwx------");
        DirectAccess taken = DirectAccess.take(state, "s1").orElseThrow();
        assertThat(taken.locals()).containsExactly(Map.entry("context", context));
        assertThat(taken.outputs()).containsExactly(Map.entry(0, out));
        assertThat(grant.get()).doesNotExist();
        assertThat(DirectAccess.take(state, "s1")).isEmpty();
    }

    @Test
    void aDirectoryReplacedUnderItsNameIsNotTheOneTheClientSaw() throws Exception {
        new DirectAccess("s2", Map.of("context", context), Map.of()).offer(state);
        Path other = Files.createDirectories(tmp.resolve("other"));
        Files.delete(context);
        Files.move(other, context); // same path, another inode: another mount namespace would look like this

        assertThatThrownBy(() -> DirectAccess.take(state, "s2"))
                .isInstanceOf(SecurityException.class)
                .hasMessageStartingWith(DirectAccess.REFUSED)
                .hasMessageContaining(context.toString());
    }

    @Test
    void aGrantItsKilledClientNeverHadTakenIsForgottenOnceStaleAndAFreshOneIsKept() throws Exception {
        Path stale = new DirectAccess("killed", Map.of("context", context), Map.of())
                .offer(state)
                .orElseThrow();
        Files.setLastModifiedTime(
                stale,
                java.nio.file.attribute.FileTime.from(java.time.Instant.now().minusSeconds(120)));
        Path fresh = new DirectAccess("running", Map.of("context", context), Map.of())
                .offer(state)
                .orElseThrow();

        DirectAccess.forgetStale(state, java.time.Duration.ofMinutes(1));

        assertThat(stale).doesNotExist();
        assertThat(DirectAccess.take(state, "running")).isPresent();
        assertThat(fresh).doesNotExist();
    }

    @Test
    void aGrantWrittenByAnotherUserIsRefused() throws Exception {
        Path grant = new DirectAccess("s3", Map.of("context", context), Map.of())
                .offer(state)
                .orElseThrow();
        Files.setAttribute(grant, "unix:uid", 65534);

        assertThatThrownBy(() -> DirectAccess.take(state, "s3"))
                .isInstanceOf(SecurityException.class)
                .hasMessageStartingWith(DirectAccess.REFUSED)
                .hasMessageContaining("uid 65534");
        assertThat(grant).doesNotExist();
    }

    @Test
    void noGrantIsOfferedWhereTheDaemonMadeNoDirectoryAndStaleOnesGoAtItsStart() throws Exception {
        assertThat(new DirectAccess("s4", Map.of("context", context), Map.of()).offer(tmp.resolve("other")))
                .isEmpty();

        Path stale = new DirectAccess("s5", Map.of("context", context), Map.of())
                .offer(state)
                .orElseThrow();
        DirectAccess.reset(state);
        assertThat(stale).doesNotExist();
    }

    @Test
    void aGrantFileThatNoClientWroteIsRefused() throws Exception {
        Files.writeString(DirectAccess.directory(state).resolve("s6"), "local\0context\0/etc\0");

        assertThatThrownBy(() -> DirectAccess.take(state, "s6"))
                .isInstanceOf(SecurityException.class)
                .hasMessageStartingWith(DirectAccess.REFUSED)
                .hasMessageContaining("not one a client wrote");
    }

    @Test
    void aSessionIdThatIsNoFileNameIsNoGrant() throws Exception {
        assertThat(DirectAccess.take(state, "../../etc/passwd")).isEmpty();
        assertThatThrownBy(() -> new DirectAccess("../x", Map.of(), Map.of()))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
