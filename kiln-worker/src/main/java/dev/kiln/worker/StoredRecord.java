package dev.kiln.worker;

import java.time.Instant;
import java.util.List;

/**
 * One thing the worker keeps on disk between builds, as a disk usage listing shows it: a snapshot, a cache
 * mount's directory, or a daemon's copy of a client's directory.
 *
 * @param id          the snapshot id, the cache mount's key, or the session copy's id
 * @param kind        what it is on disk
 * @param type        BuildKit's record type: {@code regular}, {@code source.local}, {@code exec.cachemount}
 * @param description what made it, when known (a local source's name, a pulled image, a cache id); may be empty
 * @param size        bytes of the files only this record keeps (a layer shared by several records counts once,
 *                    at the record it was first made for; so does a file hard-linked into several records' layers,
 *                    which removing that record frees only when no other still links it)
 * @param created     when it was made
 * @param lastUsed    when a build last used it; null if none has since an older Kiln made it
 * @param usageCount  how many times builds used it
 * @param mutable     whether builds change it in place (cache mounts, session copies)
 * @param inUse       whether a running build holds it or a record built on it
 * @param parents     the records this one is built on (the snapshot below it, the records of merged layers)
 */
public record StoredRecord(
        String id,
        Kind kind,
        String type,
        String description,
        long size,
        Instant created,
        Instant lastUsed,
        long usageCount,
        boolean mutable,
        boolean inUse,
        List<String> parents) {

    public enum Kind {
        SNAPSHOT,
        CACHE_MOUNT,
        /** A daemon's copy of a client's directory ({@link SessionCopies}). */
        SESSION_COPY
    }

    public StoredRecord {
        parents = List.copyOf(parents);
    }
}
