package dev.kiln.worker.fs;

/**
 * What one {@link LocalSync#sync} changed.
 *
 * @param filesCopied regular files whose content was (re)written, including new hard links
 * @param bytesCopied bytes of file content read from the source
 * @param symlinksWritten symlinks created or recreated
 * @param directoriesCreated directories created
 * @param removed target entries deleted because the source no longer has them (each file and directory counts)
 * @param metadataUpdated entries whose content was current but whose mode, owner or mtime was set again
 * @param unchanged entries left exactly as they were
 */
public record SyncResult(
        int filesCopied,
        long bytesCopied,
        int symlinksWritten,
        int directoriesCreated,
        int removed,
        int metadataUpdated,
        int unchanged) {

    /** Whether the target changed at all. */
    public boolean changedAnything() {
        return filesCopied + symlinksWritten + directoriesCreated + removed + metadataUpdated > 0;
    }
}
