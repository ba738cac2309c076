package dev.kiln.engine;

import dev.kiln.oci.content.DiskFullException;
import dev.kiln.worker.ops.ExecFailedException;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Says so when a build failed because the disk holding the engine's state is full. Such a failure shows up at any
 * step (a pull, an unpack, the sync of a context, a RUN, an export) as "No space left on device" in some message;
 * what the user can act on is which disk needs space, so the build's error names the state directory first.
 */
final class StateDisk {

    private static final String NO_SPACE = "No space left on device";

    private StateDisk() {}

    /**
     * {@code message}, led by "the disk holding the state directory DIR is full" when {@code failure} is a full
     * disk there: an error of Kiln's own writes under {@code stateDir}, or a step whose output says the disk is full
     * while the state's disk has (next to) no room left.
     */
    static String explain(String message, Throwable failure, Path stateDir) {
        String text = message == null ? "" : message;
        if (text.contains("the disk holding the state directory")) {
            return text;
        }
        Path state = stateDir.toAbsolutePath().normalize();
        boolean full;
        if (DiskFullException.isDiskFull(failure)) {
            Path where = whereFull(failure);
            full = where == null || where.toAbsolutePath().normalize().startsWith(state) || nearlyFull(state);
        } else {
            full = saysNoSpace(text, failure) && nearlyFull(state);
        }
        if (!full) {
            return text;
        }
        return "the disk holding the state directory " + state + " is full: " + text
                + "\nfree space on that disk and build again (removing the state directory drops the whole build "
                + "cache)";
    }

    /**
     * Whether the message or that of a cause says the disk is full, or a failed RUN step's last output does (its
     * message is BuildKit's, which leaves the output to the progress).
     */
    private static boolean saysNoSpace(String text, Throwable failure) {
        if (text.contains(NO_SPACE)) {
            return true;
        }
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t.getMessage() != null && t.getMessage().contains(NO_SPACE)) {
                return true;
            }
            if (t instanceof ExecFailedException step && step.lastOutput().contains(NO_SPACE)) {
                return true;
            }
        }
        return false;
    }

    /** The directory or file the full disk was met at, as the failure names it. */
    private static Path whereFull(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof DiskFullException full) {
                return full.directory();
            }
            if (t instanceof FileSystemException fs && NO_SPACE.equals(fs.getReason()) && fs.getFile() != null) {
                return Path.of(fs.getFile());
            }
        }
        return null;
    }

    /** Less than 1 MiB or 1% of the state's file system is free. */
    private static boolean nearlyFull(Path state) {
        try {
            FileStore store = Files.getFileStore(state);
            long usable = store.getUsableSpace();
            return usable < Math.max(1L << 20, store.getTotalSpace() / 100);
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
