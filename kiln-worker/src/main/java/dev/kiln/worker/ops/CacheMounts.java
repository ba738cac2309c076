package dev.kiln.worker.ops;

import dev.kiln.llb.Digest;
import dev.kiln.llb.pb.CacheSharingOpt;
import dev.kiln.worker.fs.CopyOptions;
import dev.kiln.worker.fs.FileActions;
import dev.kiln.worker.fs.UserLookup;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * The persistent directories behind {@code RUN --mount=type=cache}: one per cache id, kept across
 * builds and outside every snapshot, so what a step leaves there never enters a layer or a key.
 *
 * <p>Sharing follows BuildKit: SHARED lets concurrent steps use the directory together; LOCKED
 * makes a second step wait until the first is done (across processes too, by a file lock);
 * PRIVATE gives a step that finds the directory busy a fresh, throw-away directory instead.
 */
public final class CacheMounts {

    private final Path dir;
    private final Map<String, Semaphore> locks = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> users = new ConcurrentHashMap<>();

    public CacheMounts(Path dir) throws IOException {
        this.dir = Files.createDirectories(dir);
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
        String key = Digest.sha256(id.getBytes(StandardCharsets.UTF_8)).hex();
        Path shared = dir.resolve(key);
        AtomicInteger count = users.computeIfAbsent(key, k -> new AtomicInteger());
        return switch (sharing) {
            case SHARED, UNRECOGNIZED -> {
                count.incrementAndGet();
                prepare(shared, seed);
                yield lease(shared, count::decrementAndGet);
            }
            case LOCKED -> locked(key, shared, seed, count);
            case PRIVATE -> {
                if (count.getAndIncrement() == 0) {
                    prepare(shared, seed);
                    yield lease(shared, count::decrementAndGet);
                }
                count.decrementAndGet();
                Path own = dir.resolve(key + "-private-" + UUID.randomUUID());
                prepare(own, seed);
                yield lease(own, () -> deleteTree(own));
            }
        };
    }

    private Lease locked(String key, Path shared, Path seed, AtomicInteger count) throws IOException, InterruptedException {
        Semaphore local = locks.computeIfAbsent(key, k -> new Semaphore(1));
        local.acquire();
        FileChannel lockFile = null;
        try {
            lockFile = FileChannel.open(dir.resolve(key + ".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = lockFile.lock();
            count.incrementAndGet();
            prepare(shared, seed);
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

    private static void prepare(Path target, Path seed) throws IOException {
        if (Files.isDirectory(target)) {
            return;
        }
        Path temp = target.resolveSibling(target.getFileName() + ".new-" + UUID.randomUUID());
        Files.createDirectories(temp);
        if (seed != null) {
            new FileActions(temp, UserLookup.idsOnly()).copy(seed, "/", "/", CopyOptions.defaults().withDirCopyContents(true));
        }
        try {
            Files.move(temp, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (java.nio.file.FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException raced) {
            deleteTree(temp);
        }
    }

    private interface Release {
        void run() throws IOException;
    }

    private static Lease lease(Path path, Release release) {
        return new Lease() {
            private boolean closed;

            @Override
            public Path path() {
                return path;
            }

            @Override
            public synchronized void close() throws IOException {
                if (!closed) {
                    closed = true;
                    release.run();
                }
            }
        };
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
