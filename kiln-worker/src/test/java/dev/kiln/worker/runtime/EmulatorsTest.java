package dev.kiln.worker.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.kiln.core.Platform;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The platforms a worker runs, read from binfmt_misc entries: this host's own, and directories laid out as
 * binfmt_misc is (an entry file per emulator, in the kernel's words) for the cases a host may or may not have.
 */
class EmulatorsTest {

    @TempDir
    Path binfmt;

    private static final Platform HOST = Platform.current().normalize();

    private void register(String name, String flags) throws IOException {
        Files.writeString(binfmt.resolve(name), """
                enabled
                interpreter /usr/libexec/qemu-binfmt/%s-binfmt-P
                flags: %s
                offset 0
                magic 7f454c46
                """.formatted(name, flags));
    }

    @Test
    void hostWithoutEmulatorsRunsOnlyItsOwnPlatform() {
        assertThat(Emulators.at(binfmt).platforms()).containsExactly(HOST);
    }

    @Test
    void registeredEmulatorsAddTheirPlatformsAfterTheHosts() throws IOException {
        assumeThat(HOST.architecture()).isEqualTo("amd64");
        register("qemu-aarch64", "PF");
        register("qemu-riscv64", "PF");
        register("qemu-arm", "PF");

        assertThat(Emulators.at(binfmt).platforms())
                .extracting(Platform::toString)
                .containsExactly("linux/amd64", "linux/arm64", "linux/riscv64", "linux/arm/v7", "linux/arm/v6");
    }

    @Test
    void missingEmulatorIsNamedWithWhatToInstall() {
        assumeThat(HOST.architecture()).isEqualTo("amd64");

        assertThatThrownBy(() -> Emulators.at(binfmt).check(Platform.of("linux", "arm64")))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("linux/arm64 needs the emulator qemu-aarch64")
                .hasMessageContaining("apt-get install qemu-user-static binfmt-support");
    }

    @Test
    void emulatorWithoutFixBinaryFlagIsRefusedAndNotListed() throws IOException {
        assumeThat(HOST.architecture()).isEqualTo("amd64");
        register("qemu-s390x", "P");

        assertThat(Emulators.at(binfmt).platforms()).containsExactly(HOST);
        assertThatThrownBy(() -> Emulators.at(binfmt).check(Platform.of("linux", "s390x")))
                .hasMessageContaining("qemu-s390x registered with the F (fix-binary) flag");
    }

    @Test
    void disabledEmulatorSaysHowToEnableIt() throws IOException {
        assumeThat(HOST.architecture()).isEqualTo("amd64");
        register("qemu-aarch64", "PF");
        Files.writeString(
                binfmt.resolve("qemu-aarch64"),
                Files.readString(binfmt.resolve("qemu-aarch64")).replaceFirst("enabled", "disabled"));

        assertThatThrownBy(() -> Emulators.at(binfmt).check(Platform.of("linux", "arm64")))
                .hasMessageContaining("update-binfmts --enable qemu-aarch64");
    }

    @Test
    void hostPlatformNeedsNoEmulator() throws IOException {
        Emulators.at(binfmt).check(HOST);
    }

    @Test
    void thisHostListsTheEmulatorsItsKernelHas() throws IOException {
        Path aarch64 = Emulators.BINFMT_MISC.resolve("qemu-aarch64");
        assumeThat(Files.exists(aarch64))
                .as("qemu-aarch64 registered with binfmt_misc (scripts/setup.sh --tests installs it)")
                .isTrue();
        assumeThat(HOST.architecture()).isEqualTo("amd64");

        assertThat(Emulators.host().platforms()).first().isEqualTo(HOST);
        assertThat(Emulators.host().platforms()).contains(Platform.of("linux", "arm64"));
    }
}
