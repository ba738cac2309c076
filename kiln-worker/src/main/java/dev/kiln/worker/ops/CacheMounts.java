package dev.kiln.worker.ops;

import dev.kiln.core.Digest;
import dev.kiln.core.ReleaseOnce;
import dev.kiln.core.Trees;
import dev.kiln.core.sys.PosixFiles;
import dev.kiln.llb.pb.CacheSharingOpt;
import dev.kiln.worker.UsageLedger;
import dev.kiln.worker.fs.CopyOptions;
import dev.kiln.worker.fs.FileActions;
import dev.kiln.worker.fs.FileStat;
import dev.kiln.worker.fs.UserLookup;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The persistent directories behind {@code RUN --mount=type=cache}: one per cache id, kept across
 * builds and outside every snapshot, so what a step leaves there never enters a layer or a key.
 *
 * <p>Sharing follows BuildKit: SHARED lets concurrent steps use the directory together; LOCKED
 * makes a second step wait until the first is done (across processes too, by a file lock);
 * PRIVATE gives a step that finds the directory busy a fresh, throw-away directory instead.
 */
public final class CacheMounts {

    private static final java.util.regex.Pattern KEY = java.util.regex.Pattern.compile("[0-9a-f]{64}");

    private final Path dir;
    private final UsageLedger ledger;
    private final Map<String, Semaphore> locks = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> users = new ConcurrentHashMap<>();
    /** One monitor per cache directory name, held while that directory is being created. */
    private final Map<String, Object> creating = new ConcurrentHashMap<>();

    public CacheMounts(Path dir) throws IOException {
        this(dir, null);
    }

    /** Cache directories in {@code dir} whose uses {@code ledger} (if not null) hears of. */
    public CacheMounts(Path dir, UsageLedger ledger) throws IOException {
        this.dir = Files.createDirectories(dir);
        this.ledger = ledger;
        // what a prune killed mid-delete had already left the cache
        try (var names = Files.list(this.dir)) {
            for (Path aside : names.filter(p -> p.getFileName().toString().startsWith(".removing-"))
                    .toList()) {
                Trees.deleteRecursively(aside);
            }
        }
    }

    /** A cache directory in use until closed. */
    public interface Lease extends AutoCloseable {

        Path path();

        @Override
        void close() throws IOException;
    }

    /**
     * Takes the cache directory for {@code id}; when it is new and {@code seed} is not null, it
     * starts with a copy of {@code seed}'s contents.
     */
    public Lease acquire(String id, CacheSharingOpt sharing, Path seed) throws IOException, InterruptedException {
        String key = key(id);
        Path shared = dir.resolve(key);
        AtomicInteger count = users.computeIfAbsent(key, k -> new AtomicInteger());
        if (ledger != null && ledger.entry(key).isEmpty()) {
            ledger.describe(key, "exec.cachemount", "cached mount with id \"" + id + "\"");
        }
        return switch (sharing) {
            case SHARED, UNRECOGNIZED -> {
                // under the directory's monitor, so that a prune does not take it away between the two
                synchronized (monitor(key)) {
                    prepare(shared, seed);
                    count.incrementAndGet();
                }
                used(key);
                yield lease(shared, count::decrementAndGet);
            }
            case LOCKED -> locked(key, shared, seed, count);
            case PRIVATE -> {
                synchronized (monitor(key)) {
                    if (count.getAndIncrement() == 0) {
                        try {
                            prepare(shared, seed);
                        } catch (IOException | RuntimeException e) {
                            count.decrementAndGet();
                            throw e;
                        }
                        used(key);
                        yield lease(shared, count::decrementAndGet);
                    }
                }
                count.decrementAndGet();
                Path own = dir.resolve(key + "-private-" + UUID.randomUUID());
                prepare(own, seed);
                yield lease(own, () -> Trees.deleteRecursively(own));
            }
        };
    }

    private Lease locked(String key, Path shared, Path seed, AtomicInteger count)
            throws IOException, InterruptedException {
        Semaphore local = locks.computeIfAbsent(key, k -> new Semaphore(1));
        local.acquire();
        FileChannel lockFile = null;
        try {
            lockFile =
                    FileChannel.open(dir.resolve(key + ".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = lockFile.lock();
            synchronized (monitor(key)) {
                prepare(shared, seed);
                count.incrementAndGet();
            }
            used(key);
            FileChannel held = lockFile;
            return lease(shared, () -> {
                count.decrementAndGet();
                try {
                    lock.release();
                    held.close();
                } finally {
                    local.release();
                }
            });
        } catch (IOException | RuntimeException e) {
            if (lockFile != null) {
                lockFile.close();
            }
            local.release();
            throw e;
        }
    }

    private Object monitor(String name) {
        return creating.computeIfAbsent(name, n -> new Object());
    }

    private void used(String key) {
        if (ledger != null) {
            ledger.use(key);
        }
    }

    /** The directory kept for the cache {@code id}, if a step made it. */
    public java.util.Optional<Path> directory(String id) {
        Path shared = dir.resolve(key(id));
        return Files.isDirectory(shared) ? java.util.Optional.of(shared) : java.util.Optional.empty();
    }

    /** Fills a new directory (empty when called) with what a cache mount starts with. */
    @FunctionalInterface
    public interface Filler {
        void fill(Path empty) throws IOException;
    }

    /**
     * Makes the directory for the cache {@code id} from {@code filler} when it does not exist yet, as a seed would
     * (filled aside, renamed into place, so a step never sees it half made); a directory a step made first is kept.
     * Returns whether it made it.
     */
    public boolean restore(String id, Filler filler) throws IOException {
        String key = key(id);
        Path target = dir.resolve(key);
        synchronized (monitor(key)) {
            if (Files.isDirectory(target)) {
                return false;
            }
            Path temp = target.resolveSibling(key + ".new-" + UUID.randomUUID());
            Files.createDirectories(temp);
            try {
                filler.fill(temp);
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Trees.deleteRecursively(temp);
            }
        }
        if (ledger != null && ledger.entry(key).isEmpty()) {
            ledger.describe(key, "exec.cachemount", "cached mount with id \"" + id + "\" (imported)");
        }
        return true;
    }

    private static String key(String id) {
        return Digest.sha256(id.getBytes(StandardCharsets.UTF_8)).hex();
    }

    /** The keys (sha256 of the cache id) of the cache directories kept. */
    public java.util.List<String> keys() throws IOException {
        try (var names = Files.list(dir)) {
            return names.filter(Files::isDirectory)
                    .map(p -> p.getFileName().toString())
                    .filter(name -> KEY.matcher(name).matches())
                    .sorted()
                    .toList();
        }
    }

    public Path path(String key) {
        if (!KEY.matcher(key).matches()) {
            throw new IllegalArgumentException("not a cache mount key: " + key);
        }
        return dir.resolve(key);
    }

    /** Whether a step has the cache directory mounted now. */
    public boolean inUse(String key) {
        AtomicInteger count = users.get(key);
        return count != null && count.get() > 0;
    }

    /**
     * Deletes the cache directory unless a step has it mounted; returns whether it did. A step that starts
     * meanwhile gets a new, empty directory, as after any prune.
     */
    public boolean remove(String key) throws IOException {
        Path target = path(key);
        Path aside = dir.resolve(".removing-" + UUID.randomUUID());
        synchronized (monitor(key)) {
            if (inUse(key) || !Files.isDirectory(target)) {
                return false;
            }
            Files.move(target, aside, StandardCopyOption.ATOMIC_MOVE);
        }
        Trees.deleteRecursively(aside);
        return true;
    }

    /**
     * Creates the cache directory if it is missing. Steps that start together must end up in the
     * same directory, so creation is one step at a time per directory, and a plain one is made by
     * mkdir, which never replaces what another process made meanwhile. A seeded one is filled
     * aside and renamed into place; if another process got there first, its directory stays.
     */
    private void prepare(Path target, Path seed) throws IOException {
        if (Files.isDirectory(target)) {
            return;
        }
        synchronized (creating.computeIfAbsent(target.getFileName().toString(), name -> new Object())) {
            if (Files.isDirectory(target)) {
                return;
            }
            if (seed == null) {
                Files.createDirectories(target);
                return;
            }
            Path temp = target.resolveSibling(target.getFileName() + ".new-" + UUID.randomUUID());
            Files.createDirectories(temp);
            try {
                new FileActions(temp, UserLookup.idsOnly())
                        .copy(seed, "/", "/", CopyOptions.defaults().withDirCopyContents(true));
                // The cache's root takes the seed directory's owner and mode (RUN --mount=type=cache,uid=,gid=,mode=).
                FileStat root = FileStat.of(seed);
                PosixFiles.lchown(temp, root.uid(), root.gid());
                PosixFiles.chmod(temp, root.permissions());
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileSystemException raced) {
                if (!Files.isDirectory(target)) {
                    throw raced;
                }
            } finally {
                Trees.deleteRecursively(temp);
            }
        }
    }

    private static Lease lease(Path path, ReleaseOnce.Release release) {
        ReleaseOnce once = new ReleaseOnce(release);
        return new Lease() {
            @Override
            public Path path() {
                return path;
            }

            @Override
            public void close() throws IOException {
                once.close();
            }
        };
    }
}
