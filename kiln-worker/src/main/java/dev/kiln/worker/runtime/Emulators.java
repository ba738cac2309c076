package dev.kiln.worker.runtime;

import dev.kiln.core.Platform;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The platforms this host runs: its own, and the foreign ones whose qemu-user emulator is registered with
 * binfmt_misc, as Debian's qemu-user-static and binfmt-support register them ({@code qemu-aarch64} and so on). A
 * container of a foreign platform needs no help from Kiln then: the kernel hands its binaries to the emulator. The
 * registration must carry the F (fix-binary) flag, which opens the emulator when it is registered: without it the
 * kernel looks for the emulator inside the container's root, where it is not.
 *
 * <p>The entries are read on every call: a few small files, and an emulator installed while a daemon runs counts
 * from the next build on.
 */
public final class Emulators {

    /** Where the kernel's binfmt_misc file system is mounted. */
    public static final Path BINFMT_MISC = Path.of("/proc/sys/fs/binfmt_misc");

    /**
     * The qemu name of each OCI architecture qemu-user emulates; the platforms of each, as BuildKit lists them
     * for a worker, come from {@link #platformsOf}.
     */
    private static final Map<String, String> QEMU_NAMES = Map.of(
            "amd64", "x86_64",
            "arm64", "aarch64",
            "arm", "arm",
            "386", "i386",
            "riscv64", "riscv64",
            "ppc64le", "ppc64le",
            "s390x", "s390x",
            "mips64le", "mips64el",
            "mips64", "mips64",
            "loong64", "loongarch64");

    /** The order the platforms are listed in, after the host's own. */
    private static final List<String> ORDER =
            List.of("amd64", "arm64", "riscv64", "ppc64le", "s390x", "386", "mips64le", "mips64", "loong64", "arm");

    private final Path binfmtMisc;

    private Emulators(Path binfmtMisc) {
        this.binfmtMisc = binfmtMisc;
    }

    /** The emulators registered with this host's kernel. */
    public static Emulators host() {
        return new Emulators(BINFMT_MISC);
    }

    /** The emulators whose entries are in {@code binfmtMisc}, a directory laid out as binfmt_misc is. */
    public static Emulators at(Path binfmtMisc) {
        return new Emulators(binfmtMisc);
    }

    /** The qemu-user name of the emulator that runs {@code architecture} ({@code qemu-aarch64} for arm64). */
    public static String emulatorName(String architecture) {
        return "qemu-" + QEMU_NAMES.getOrDefault(architecture, architecture);
    }

    /** The platforms this host runs: its own first, then each one an emulator runs. */
    public List<Platform> platforms() {
        Platform host = Platform.current().normalize();
        List<Platform> platforms = new ArrayList<>();
        platforms.add(host);
        for (String architecture : ORDER) {
            if (!runsNatively(host, architecture) && usable(architecture)) {
                platforms.addAll(platformsOf(host.os(), architecture));
            }
        }
        return List.copyOf(platforms);
    }

    /**
     * Makes sure a process built for {@code platform} can run here.
     *
     * @throws IOException naming the emulator that is missing and how to install it
     */
    public void check(Platform platform) throws IOException {
        Platform host = Platform.current().normalize();
        Platform wanted = platform.normalize();
        if (!wanted.os().equals(host.os())) {
            throw new IOException("cannot run a process for " + wanted + " on this " + host + " host: no emulator "
                    + "runs another operating system's binaries");
        }
        if (runsNatively(host, wanted.architecture())) {
            return;
        }
        String name = emulatorName(wanted.architecture());
        Optional<Entry> entry = entry(name);
        if (entry.isEmpty()) {
            throw new IOException("running a process for " + wanted + " needs the emulator " + name
                    + ", which is not registered with binfmt_misc at " + binfmtMisc
                    + "; install it: apt-get install qemu-user-static binfmt-support (and mount binfmt_misc there"
                    + " if it is not: mount -t binfmt_misc binfmt_misc " + BINFMT_MISC + ")");
        }
        if (!entry.get().enabled()) {
            throw new IOException("running a process for " + wanted + " needs the emulator " + name
                    + ", whose binfmt_misc entry is disabled; enable it: update-binfmts --enable " + name);
        }
        if (!entry.get().fixBinary()) {
            throw new IOException("running a process for " + wanted + " needs the emulator " + name
                    + " registered with the F (fix-binary) flag, so a container reaches it; it is registered"
                    + " without it (flags: " + entry.get().flags() + "): install qemu-user-static, whose"
                    + " registration sets it");
        }
    }

    /** An architecture the host's CPU runs itself: its own, and the 32-bit one of the same family. */
    private static boolean runsNatively(Platform host, String architecture) {
        return architecture.equals(host.architecture())
                || (host.architecture().equals("amd64") && architecture.equals("386"))
                || (host.architecture().equals("arm64") && architecture.equals("arm"));
    }

    private boolean usable(String architecture) {
        try {
            return entry(emulatorName(architecture))
                    .map(e -> e.enabled() && e.fixBinary())
                    .orElse(false);
        } catch (IOException unreadable) {
            return false;
        }
    }

    private static List<Platform> platformsOf(String os, String architecture) {
        return switch (architecture) {
            case "arm" -> List.of(Platform.of(os, "arm", "v7"), Platform.of(os, "arm", "v6"));
            default -> List.of(Platform.of(os, architecture));
        };
    }

    private Optional<Entry> entry(String name) throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(binfmtMisc.resolve(name));
        } catch (NoSuchFileException absent) {
            return Optional.empty();
        }
        boolean enabled = !lines.isEmpty() && lines.getFirst().strip().equals("enabled");
        String flags = lines.stream()
                .filter(line -> line.startsWith("flags:"))
                .map(line -> line.substring("flags:".length()).strip())
                .findFirst()
                .orElse("");
        return Optional.of(new Entry(enabled, flags));
    }

    /** What a binfmt_misc entry file says: whether it is enabled, and its flags (P, O, C, F). */
    private record Entry(boolean enabled, String flags) {
        boolean fixBinary() {
            return flags.indexOf('F') >= 0;
        }
    }
}
