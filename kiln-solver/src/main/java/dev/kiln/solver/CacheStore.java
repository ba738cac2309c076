package dev.kiln.solver;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.regex.Pattern;

/**
 * The persistent cache of vertex results: maps a cache key (64 lowercase hex digits of a sha256) to the
 * {@link CacheRecord} of the run that produced it, one small file per key in one directory.
 *
 * <p>Every write is atomic for readers (a temporary file in the same directory, renamed into place) but not synced:
 * a record only names results their stores have already made durable, so a crash can lose a record or tear it, never
 * make it name what the disk lacks. A lost record is a miss; a torn one fails its checksum ({@link CacheRecordFormat})
 * and is a miss too, and is removed: the cache heals by running the vertex again. The two fsyncs a synced write
 * needs were a tenth of a trivial RUN step's own time. The record reaches the disk with the file system's next
 * sync (the worker syncs at every layer it makes). Safe for concurrent use by many threads; several processes may share
 * the directory, the last write of a key winning.
 *
 * <p>Records read or written by this instance are kept in memory, so a cached rebuild reads each record file at most
 * once per process. A record another process removes later is still believed here; the results it names then fail to
 * load, which the solver treats as a miss.
 */
public final class CacheStore {

    private static final Pattern KEY = Pattern.compile("[0-9a-f]{64}");
    private static final String TEMPORARY_PREFIX = ".tmp-";
    /** Older temporary files belong to writers that crashed; younger ones may be another process mid-write. */
    private static final Duration ABANDONED_TEMPORARY_AGE = Duration.ofHours(1);

    private final Path directory;
    private final ConcurrentMap<String, CacheRecord> index = new ConcurrentHashMap<>();

    /** Opens (creating if needed) the cache in this directory. */
    public CacheStore(Path directory) throws IOException {
        this.directory = Files.createDirectories(directory);
        removeAbandonedTemporaries();
    }

    public Path directory() {
        return directory;
    }

    /** The record filed under the key, or empty if there is none or its file is unreadable or corrupt. */
    public Optional<CacheRecord> lookup(String key) {
        checkKey(key);
        CacheRecord known = index.get(key);
        if (known != null) {
            return Optional.of(known);
        }
        Path file = directory.resolve(key);
        byte[] bytes;
        try {
            if (Files.size(file) > CacheRecordFormat.MAX_BYTES) {
                deleteCorrupt(file);
                return Optional.empty();
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            // Unreadable is not the same as corrupt: leave the file for whoever can read it.
            return Optional.empty();
        }
        Optional<CacheRecord> record = CacheRecordFormat.decode(key, bytes);
        if (record.isEmpty()) {
            deleteCorrupt(file);
            return Optional.empty();
        }
        return Optional.of(index.merge(key, record.get(), (racedIn, read) -> racedIn));
    }

    /** Files the record under the key, replacing any earlier one; durable at the file system's next sync. */
    public void store(String key, CacheRecord record) throws IOException {
        checkKey(key);
        byte[] bytes = CacheRecordFormat.encode(key, record);
        Path temporary = directory.resolve(TEMPORARY_PREFIX + UUID.randomUUID());
        try {
            Files.write(temporary, bytes, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            Files.move(
                    temporary,
                    directory.resolve(key),
                    StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temporary);
            throw e;
        }
        index.put(key, record);
    }

    /** Removes the record filed under the key; returns whether there was one. */
    public boolean remove(String key) throws IOException {
        checkKey(key);
        index.remove(key);
        boolean removed = Files.deleteIfExists(directory.resolve(key));
        if (removed) {
            syncDirectory();
        }
        return removed;
    }

    /** Every key with a record file, sorted. */
    public Set<String> keys() throws IOException {
        var keys = new TreeSet<String>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (KEY.matcher(name).matches()) {
                    keys.add(name);
                }
            }
        }
        return keys;
    }

    private static void checkKey(String key) {
        if (key == null || !KEY.matcher(key).matches()) {
            throw new IllegalArgumentException("a cache key is 64 lowercase hex digits (a sha256), not: " + key);
        }
    }

    private void deleteCorrupt(Path file) {
        index.remove(file.getFileName().toString());
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // Still a miss; the next successful store of this key replaces the file anyway.
        }
    }

    private void syncDirectory() throws IOException {
        try (var channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    private void removeAbandonedTemporaries() throws IOException {
        Instant cutoff = Instant.now().minus(ABANDONED_TEMPORARY_AGE);
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory, TEMPORARY_PREFIX + "*")) {
            for (Path entry : entries) {
                try {
                    if (Files.getLastModifiedTime(entry).toInstant().isBefore(cutoff)) {
                        Files.deleteIfExists(entry);
                    }
                } catch (NoSuchFileException e) {
                    // Another process cleaned it up or renamed it into place first.
                }
            }
        }
    }
}
