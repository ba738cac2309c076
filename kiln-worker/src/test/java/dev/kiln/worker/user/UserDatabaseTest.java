package dev.kiln.worker.user;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UserDatabaseTest {
    @TempDir
    Path rootfs;

    UserDatabase users;

    @BeforeEach
    void writeDatabases() throws Exception {
        Files.createDirectories(rootfs.resolve("etc"));
        Files.writeString(rootfs.resolve("etc/passwd"), """
        root:x:0:0:root:/root:/bin/sh
        # a comment line
        broken line without fields
        app:x:1000:1000:App User:/home/app:/bin/sh
        svc:x:1001:1000::/srv:/bin/false
        """);
        Files.writeString(rootfs.resolve("etc/group"), """
        root:x:0:
        app:x:1000:
        staff:x:50:app,svc
        audio:x:63:app
        """);
        users = UserDatabase.of(rootfs);
    }

    @Test
    void emptyUserIsRoot() {
        assertThat(users.resolveUser("")).isEqualTo(new Identity(0, 0, List.of(0), "/root"));
    }

    @Test
    void nameGivesItsGroupAndMemberships() {
        assertThat(users.resolveUser("app")).isEqualTo(new Identity(1000, 1000, List.of(1000, 50, 63), "/home/app"));
    }

    @Test
    void numericUserFoundInPasswdBehavesLikeItsName() {
        assertThat(users.resolveUser("1001")).isEqualTo(new Identity(1001, 1000, List.of(1000, 50), "/srv"));
    }

    @Test
    void unknownNumericUserGetsGroupZero() {
        assertThat(users.resolveUser("4242")).isEqualTo(new Identity(4242, 0, List.of(0), "/"));
    }

    @Test
    void explicitGroupByNameOrNumberWins() {
        assertThat(users.resolveUser("app:staff").gid()).isEqualTo(50);
        assertThat(users.resolveUser("1000:63").gid()).isEqualTo(63);
        assertThat(users.resolveUser("4242:4343")).isEqualTo(new Identity(4242, 4343, List.of(4343), "/"));
    }

    @Test
    void explicitGroupIsTheOnlySupplementaryGroup() {
        assertThat(users.resolveUser("app:staff")).isEqualTo(new Identity(1000, 50, List.of(50), "/home/app"));
        assertThat(users.resolveUser("1000:63")).isEqualTo(new Identity(1000, 63, List.of(63), "/home/app"));
    }

    @Test
    void membershipOfThePrimaryGroupKeepsTheFilesOrder() throws Exception {
        Files.writeString(rootfs.resolve("etc/passwd"), "ops:x:1002:1002::/:/bin/sh\n", StandardOpenOption.APPEND);
        Files.writeString(rootfs.resolve("etc/group"), "video:x:44:ops\nops:x:1002:ops\n", StandardOpenOption.APPEND);

        assertThat(UserDatabase.of(rootfs).resolveUser("ops").additionalGids()).containsExactly(44, 1002);
    }

    @Test
    void unknownNamesAreErrorsNamingThem() {
        assertThatThrownBy(() -> users.resolveUser("nobody"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown user \"nobody\"")
                .hasMessageContaining("/etc/passwd");
        assertThatThrownBy(() -> users.resolveUser("app:wheel"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown group \"wheel\"")
                .hasMessageContaining("/etc/group");
        assertThatThrownBy(() -> users.resolveUser("99999999999"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("out of range");
    }

    @Test
    void resolveGroupAcceptsNamesAndNumbers() {
        assertThat(users.resolveGroup("staff")).isEqualTo(50);
        assertThat(users.resolveGroup("777")).isEqualTo(777);
    }

    @Test
    void passwdBehindAnAbsoluteSymlinkIsReadFromTheRootfs() throws Exception {
        Path other = Files.createDirectories(rootfs.resolve("alt"));
        Files.move(rootfs.resolve("etc/passwd"), other.resolve("passwd"));
        Files.createSymbolicLink(rootfs.resolve("etc/passwd"), Path.of("/alt/passwd"));

        assertThat(UserDatabase.of(rootfs).resolveUser("app").uid()).isEqualTo(1000);
    }

    @Test
    void scratchRootfsKnowsOnlyNumbers(@TempDir Path scratch) throws Exception {
        UserDatabase empty = UserDatabase.of(scratch);

        assertThat(empty.resolveUser("1000:1000")).isEqualTo(new Identity(1000, 1000, List.of(1000), "/"));
        assertThatThrownBy(() -> empty.resolveUser("root")).hasMessageContaining("unknown user \"root\"");
    }
}
