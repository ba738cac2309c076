package dev.kiln.oci.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A small tmpfs mounted on a directory for a test, so that a write can really find the disk full (ENOSPC). Needs
 * root (as tests here run); {@link #close()} unmounts it and everything on it.
 */
public final class SmallDisk implements AutoCloseable {
    private final Path mountPoint;
    private boolean mounted;

    private SmallDisk(Path mountPoint) {
        this.mountPoint = mountPoint;
    }

    /** Mounts a tmpfs of {@code megabytes} MiB on {@code directory} (created when missing). */
    public static SmallDisk mount(Path directory, int megabytes) throws IOException {
        Files.createDirectories(directory);
        SmallDisk disk = new SmallDisk(directory.toAbsolutePath());
        run(List.of("mount", "-t", "tmpfs", "-o", "size=" + megabytes + "m", "tmpfs", disk.mountPoint.toString()));
        disk.mounted = true;
        return disk;
    }

    /** Whether this process may mount file systems (it runs as root). */
    public static boolean canMount() {
        return "root".equals(System.getProperty("user.name"));
    }

    public Path path() {
        return mountPoint;
    }

    /** Bytes still free on it. */
    public long free() throws IOException {
        return Files.getFileStore(mountPoint).getUsableSpace();
    }

    @Override
    public void close() throws IOException {
        if (mounted) {
            mounted = false;
            try {
                run(List.of("umount", mountPoint.toString()));
            } catch (IOException busy) {
                run(List.of("umount", "-l", mountPoint.toString()));
            }
        }
    }

    private static void run(List<String> command) throws IOException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException(String.join(" ", command) + " did not finish within 30 s");
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted running " + command, e);
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed with " + process.exitValue() + ": " + output);
        }
    }
}
