package dev.kiln.engine;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One thing the engine keeps on disk between builds, as {@code buildctl du} shows it (BuildKit's UsageRecord):
 * a build step's or source's snapshot, a cache mount's directory, or the content store's blobs.
 *
 * @param id          the record's id; a prune filter {@code id==...} names it
 * @param mutable     whether builds change it in place (cache mounts)
 * @param inUse       whether a running build holds it (or a record built on it), or for the content store's
 *                    referenced blobs, whether something else holds them; a prune never removes it then
 * @param size        bytes of the files only this record keeps, so that the sizes of all records add up; for a
 *                    record a prune removed, the bytes its removal freed
 * @param createdAt   when it was made
 * @param lastUsedAt  when a build last used it; null if none has since it was made by an older Kiln
 * @param usageCount  how many times builds used it
 * @param description what made it: the step's name, the local source, the pulled image or the cache id
 * @param recordType  BuildKit's record type: {@code regular}, {@code source.local}, {@code exec.cachemount},
 *                    {@code source.git.checkout}, {@code internal}, {@code frontend}
 * @param shared      whether its content is also kept outside the cache (always false: the content store's blobs
 *                    are records of their own)
 * @param parents     the ids of the records it is built on
 */
public record UsageRecord(
        String id,
        boolean mutable,
        boolean inUse,
        long size,
        Instant createdAt,
        Instant lastUsedAt,
        long usageCount,
        String description,
        String recordType,
        boolean shared,
        List<String> parents) {

    public static final String REGULAR = "regular";
    public static final String LOCAL_SOURCE = "source.local";
    public static final String CACHE_MOUNT = "exec.cachemount";
    public static final String GIT_CHECKOUT = "source.git.checkout";
    public static final String FRONTEND = "frontend";
    public static final String INTERNAL = "internal";

    public UsageRecord {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(createdAt, "created time");
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(recordType, "record type");
        parents = List.copyOf(parents);
    }

    /** This record with another size: a prune reports a removed record with the bytes its removal freed. */
    public UsageRecord withSize(long bytes) {
        return new UsageRecord(
                id, mutable, inUse, bytes, createdAt, lastUsedAt, usageCount, description, recordType, shared, parents);
    }
}
