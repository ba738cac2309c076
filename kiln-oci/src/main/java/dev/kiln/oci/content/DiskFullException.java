package dev.kiln.oci.content;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;

/**
 * A write that failed because the disk is full (ENOSPC). It is not a network or content problem, so nobody should
 * retry it, and the message says which directory's disk needs space. Whoever throws it has already deleted what the
 * failed write left, so the space it took is free again.
 */
public final class DiskFullException extends IOException {
    /** The text the JDK gives ENOSPC, as message of an IOException or reason of a FileSystemException. */
    private static final String NO_SPACE = "No space left on device";

    private final Path directory;

    public DiskFullException(String message, Path directory, Throwable cause) {
        super(message, cause);
        this.directory = directory;
    }

    /**
     * The failure of writing {@code what} into {@code directory}: "the disk holding DIR is full (No space left on
     * device) while WHAT; what that step wrote was deleted; free space on that disk and try again".
     */
    public static DiskFullException of(Path directory, String what, Throwable cause) {
        return new DiskFullException(
                "the disk holding " + directory + " is full (" + NO_SPACE + ") while " + what
                        + "; what that step wrote was deleted; free space on that disk and try again",
                directory,
                cause);
    }

    /** The directory whose disk is full. */
    public Path directory() {
        return directory;
    }

    /** True when {@code failure} or one of its causes says the disk is full. */
    public static boolean isDiskFull(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof DiskFullException) {
                return true;
            }
            if (t instanceof FileSystemException fs && NO_SPACE.equals(fs.getReason())) {
                return true;
            }
            if (t instanceof IOException
                    && t.getMessage() != null
                    && t.getMessage().contains(NO_SPACE)) {
                return true;
            }
            for (Throwable suppressed : t.getSuppressed()) {
                if (suppressed instanceof DiskFullException) {
                    return true;
                }
            }
        }
        return false;
    }
}
