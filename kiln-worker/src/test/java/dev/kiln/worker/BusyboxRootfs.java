package dev.kiln.worker;

import dev.kiln.core.sys.PosixFiles;
import dev.kiln.worker.snapshot.ActiveSnapshot;
import dev.kiln.worker.snapshot.Snapshot;
import dev.kiln.worker.snapshot.Snapshotter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A minimal base image made at test time from Debian's busybox-static: /bin/busybox with a symlink per applet,
 * /etc/passwd and /etc/group with root, "user" (1000:1000, also in group "staff" 50), and the usual empty
 * directories. No network, no image pulls.
 */
public final class BusyboxRootfs {
    public static final Path BUSYBOX = Path.of("/usr/bin/busybox");
    private static List<String> applets;

    private BusyboxRootfs() {}

    /** Fills {@code rootfs}, an existing directory, with the busybox system. */
    public static Path populate(Path rootfs) throws IOException {
        return populate(rootfs, BUSYBOX);
    }

    /**
     * As {@link #populate(Path)} with another build of busybox as /bin/busybox (one for another architecture, say);
     * the applet links are those of this host's busybox, which Debian builds from the same source.
     */
    public static Path populate(Path rootfs, Path busybox) throws IOException {
        for (String dir : List.of("bin", "etc", "proc", "dev", "sys", "tmp", "root", "home/user", "usr/bin", "var")) {
            Files.createDirectories(rootfs.resolve(dir));
        }
        PosixFiles.chmod(rootfs.resolve("tmp"), 01777);
        PosixFiles.chmod(rootfs.resolve("root"), 0700);
        PosixFiles.lchown(rootfs.resolve("home/user"), 1000, 1000);
        Files.copy(busybox, rootfs.resolve("bin/busybox"));
        PosixFiles.chmod(rootfs.resolve("bin/busybox"), 0755);
        for (String applet : applets()) {
            Path link = rootfs.resolve("bin").resolve(applet);
            if (!applet.equals("busybox") && !Files.exists(link)) {
                Files.createSymbolicLink(link, Path.of("busybox"));
            }
        }
        Files.writeString(rootfs.resolve("etc/passwd"), """
        root:x:0:0:root:/root:/bin/sh
        user:x:1000:1000:Test User:/home/user:/bin/sh
        nobody:x:65534:65534:nobody:/nonexistent:/bin/false
        """);
        Files.writeString(rootfs.resolve("etc/group"), """
        root:x:0:
        staff:x:50:user
        user:x:1000:
        nogroup:x:65534:
        """);
        return rootfs;
    }

    /** Commits a busybox rootfs as the one layer of a new snapshot. */
    public static Snapshot commit(Snapshotter snapshotter) throws IOException {
        try (ActiveSnapshot active = snapshotter.prepare(Snapshot.SCRATCH)) {
            populate(active.mount());
            return active.commit();
        }
    }

    private static synchronized List<String> applets() throws IOException {
        if (applets == null) {
            Process list = new ProcessBuilder(BUSYBOX.toString(), "--list")
                    .redirectErrorStream(true)
                    .start();
            String out = new String(list.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            try {
                if (list.waitFor() != 0) {
                    throw new IOException(BUSYBOX + " --list failed: " + out);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted listing busybox applets", e);
            }
            applets = out.lines()
                    .filter(line -> !line.isBlank() && !line.contains("/"))
                    .toList();
        }
        return applets;
    }
}
