package dev.kiln.worker;

import dev.kiln.worker.runtime.Emulators;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Debian's busybox-static for arm64, the test material of multi-platform builds: {@code scripts/setup.sh --tests}
 * downloads its package ({@code apt-get download busybox-static:arm64}) into {@value #CACHED_DEB}; the tests take
 * /bin/busybox out of it with dpkg-deb. Tests that need it, or need to run it, skip with {@link #missing()} saying
 * what to do.
 */
public final class ForeignBusybox {

    /** Where setup.sh keeps the package; KILN_TEST_ARM64_BUSYBOX_DEB names another. */
    public static final String CACHED_DEB = "/var/cache/kiln/busybox-static_arm64.deb";

    private static Path extracted;

    private ForeignBusybox() {}

    private static Path deb() {
        String override = System.getenv("KILN_TEST_ARM64_BUSYBOX_DEB");
        return Path.of(override != null && !override.isEmpty() ? override : CACHED_DEB);
    }

    /**
     * Why the arm64 busybox cannot be used to run containers here, or empty when it can: its package is there and
     * qemu-aarch64 is registered with binfmt_misc.
     */
    public static Optional<String> missing() {
        if (!Files.isRegularFile(deb())) {
            return Optional.of("no arm64 busybox-static package at " + deb()
                    + ": run scripts/setup.sh --tests as root (it runs apt-get download busybox-static:arm64)");
        }
        try {
            Emulators.host().check(dev.kiln.core.Platform.of("linux", "arm64"));
        } catch (IOException e) {
            return Optional.of(e.getMessage());
        }
        return Optional.empty();
    }

    /**
     * The arm64 /bin/busybox, taken out of the package once, beside it, and kept for later runs (a temporary
     * directory per test JVM was left behind by every run).
     */
    public static synchronized Path arm64() throws IOException {
        if (extracted == null) {
            Path deb = deb();
            Path dir = deb.resolveSibling(deb.getFileName() + ".extracted");
            Path busybox = dir.resolve("bin/busybox");
            if (!Files.isRegularFile(busybox)) {
                // extracted aside and renamed into place, so a concurrent test JVM sees all of it or nothing
                Path aside = Files.createTempDirectory(deb.getParent(), ".extracting-");
                try {
                    run("dpkg-deb", "-x", deb.toString(), aside.toString());
                    if (!Files.isRegularFile(aside.resolve("bin/busybox"))) {
                        throw new IOException(deb + " has no /bin/busybox");
                    }
                    try {
                        Files.move(aside, dir, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                    } catch (java.nio.file.FileAlreadyExistsException
                            | java.nio.file.DirectoryNotEmptyException another) {
                        // another test JVM put its copy there first: the same files
                    }
                } finally {
                    dev.kiln.core.Trees.deleteRecursively(aside);
                }
            }
            extracted = busybox;
        }
        return extracted;
    }

    private static void run(String... command) throws IOException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (process.waitFor() != 0) {
                throw new IOException(String.join(" ", command) + " failed: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + String.join(" ", command), e);
        }
    }
}
