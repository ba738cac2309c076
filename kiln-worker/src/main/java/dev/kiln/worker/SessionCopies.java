package dev.kiln.worker;

import dev.kiln.core.Digest;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * A daemon's copies of its clients' local directories (the build context a session sends), kept between builds so
 * that the next transfer of the same directory sends only what changed. They are the daemon's counterpart of
 * BuildKit's mutable {@code source.local} records: disk usage lists them and prune removes them, never while a
 * build transfers into one or used one in the current busy period ({@link UsageLedger}).
 *
 * <p>A copy's id is derived from the client's words (its shared key, the directory's name and filters), hashed, so a
 * client cannot name a path outside the store. Copies of a session without a shared key belong to that session only
 * and share an id prefix, so its end removes them all.
 */
public final class SessionCopies {

    /** Record type, as BuildKit names a local source's record. */
    public static final String TYPE = "source.local";

    private static final String PREFIX = "copy-";

    /**
     * One transfer at a time into a copy, and no removal during one. Striped rather than a lock per copy: every
     * buildctl session has copies of its own, and a map of their locks would only grow in a daemon that runs for days.
     */
    private final ReentrantLock[] locks =
            IntStream.range(0, 64).mapToObj(i -> new ReentrantLock()).toArray(ReentrantLock[]::new);

    private final Path dir;
    private final UsageLedger ledger;

    SessionCopies(Path dir, UsageLedger ledger) throws IOException {
        this.dir = Files.createDirectories(dir);
        this.ledger = ledger;
    }

    /** A copy held for a transfer into it; closing it lets others transfer into or remove the copy. */
    public interface Lease extends AutoCloseable {
        Path path();

        @Override
        void close();
    }

    /**
     * The id of a copy: the same words give the same copy.
     *
     * @param owner the client's shared key, or the session's id when it has none (see {@link #sessionPrefix})
     */
    public static String id(String owner, String directory, String filters) {
        return ownerPrefix(owner)
                + Digest.sha256((directory + "\n" + filters).getBytes(StandardCharsets.UTF_8))
                        .hex()
                        .substring(0, 40);
    }

    /** The prefix shared by every copy of {@code owner}, as {@link #removeAll} takes it. */
    public static String ownerPrefix(String owner) {
        return PREFIX
                + Digest.sha256(owner.getBytes(StandardCharsets.UTF_8)).hex().substring(0, 16)
                + "-";
    }

    /**
     * Holds the copy {@code id} for a transfer, waiting up to 30 minutes for another build's transfer into it, and
     * notes the use; the directory exists afterwards.
     *
     * @param description what the copy is, for listings (for example "local source for context")
     */
    public Lease acquire(String id, String description) throws IOException {
        ReentrantLock lock = lock(id);
        try {
            if (!lock.tryLock(30, TimeUnit.MINUTES)) {
                throw new IOException(description + ": another build kept its copy busy for 30 minutes");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for " + description);
        }
        try {
            Path path = Files.createDirectories(path(id));
            // under the lock no removal runs, so the use is never refused; the entry's facts start now if new
            ledger.adopt(id, java.time.Instant.now());
            ledger.describe(id, TYPE, description);
            ledger.use(id);
            return new Lease() {
                @Override
                public Path path() {
                    return path;
                }

                @Override
                public void close() {
                    lock.unlock();
                }
            };
        } catch (IOException | RuntimeException e) {
            lock.unlock();
            throw e;
        }
    }

    /** Every copy's id. */
    public List<String> ids() throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.map(path -> path.getFileName().toString())
                    .filter(name -> name.startsWith(PREFIX))
                    .sorted()
                    .toList();
        }
    }

    public Path path(String id) {
        if (!id.startsWith(PREFIX) || id.contains("/") || id.contains("..")) {
            throw new IllegalArgumentException("not a session copy's id: " + id);
        }
        return dir.resolve(id);
    }

    /** Whether a transfer runs into the copy now or a running build used it. */
    public boolean inUse(String id) {
        return lock(id).isLocked() || ledger.inUse(id);
    }

    /** Removes the copy unless it is in use; returns whether it did. */
    public boolean remove(String id) throws IOException {
        ReentrantLock lock = lock(id);
        if (!lock.tryLock()) {
            return false;
        }
        try {
            if (!ledger.claim(id)) {
                return false;
            }
            boolean removed = false;
            try {
                dev.kiln.core.Trees.deleteRecursively(path(id));
                removed = true;
            } finally {
                ledger.release(id, removed);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Removes every copy of an owner that no build uses (a session without a shared key, at its end). */
    public List<String> removeAll(String ownerPrefix) throws IOException {
        List<String> removed = new ArrayList<>();
        for (String id : ids()) {
            if (id.startsWith(ownerPrefix) && remove(id)) {
                removed.add(id);
            }
        }
        return removed;
    }

    private ReentrantLock lock(String id) {
        return locks[Math.floorMod(id.hashCode(), locks.length)];
    }
}
