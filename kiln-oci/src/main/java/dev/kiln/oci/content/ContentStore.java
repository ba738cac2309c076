package dev.kiln.oci.content;

import dev.kiln.core.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Blobs by digest in a directory laid out like an OCI image layout's {@code blobs/<algorithm>/<hex>}, with
 * in-progress writes under {@code ingest/}. Every blob was verified against its digest when written, and appears
 * only complete (fsync, then rename). Writers of the same digest, in this process or another, take turns: the
 * second finds the blob stored or continues the first's partial ingest.
 *
 * <p>A blob of unknown digest is written to {@code ingest/tmp-<uuid>}, locked while it is written. A process killed
 * meanwhile leaves that file behind with nobody to finish it, so {@link #open(Path)} deletes every temporary file
 * that neither this process nor another (by its lock) is writing. Partial ingests of known digests stay: the next
 * writer of that digest continues them.
 */
public final class ContentStore {
    private static final String TEMPORARY_PREFIX = "tmp-";
    /** Temporary files this JVM is writing: probing their locks here would release them (POSIX locks are per process). */
    private static final Set<Path> WRITING = ConcurrentHashMap.newKeySet();

    private final Path root;
    private final Path blobs;
    private final Path ingest;

    private ContentStore(Path root) {
        this.root = root;
        this.blobs = root.resolve("blobs");
        this.ingest = root.resolve("ingest");
    }

    /** Opens the store in {@code root}, creating its directories when missing. */
    public static ContentStore open(Path root) throws IOException {
        ContentStore store = new ContentStore(root.toAbsolutePath());
        Files.createDirectories(store.blobs.resolve("sha256"));
        Files.createDirectories(store.ingest);
        store.removeStaleTemporaries();
        return store;
    }

    /** Deletes the temporary ingest files nobody writes any more; returns how many. */
    int removeStaleTemporaries() throws IOException {
        List<Path> candidates;
        try (Stream<Path> files = Files.list(ingest)) {
            candidates = files.filter(path -> path.getFileName().toString().startsWith(TEMPORARY_PREFIX))
                    .toList();
        }
        int removed = 0;
        for (Path file : candidates) {
            if (WRITING.contains(file) || !Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
                FileLock lock = channel.tryLock();
                if (lock == null) {
                    continue; // another process is writing it
                }
                // Deleted while locked, so a writer never finds its file gone after taking the lock.
                Files.deleteIfExists(file);
                removed++;
            } catch (NoSuchFileException | OverlappingFileLockException gone) {
                // finished (or swept) meanwhile, or locked by this JVM through a store opened elsewhere
            }
        }
        return removed;
    }

    static void forgetTemporary(Path file) {
        WRITING.remove(file);
    }

    public Path root() {
        return root;
    }

    /**
     * A writer for a new blob.
     *
     * @param expectedDigest the digest the content must have, or null to compute it; with a digest, the ingest is
     *     exclusive (other writers of it wait) and resumable
     * @param expectedSize the size the content must have, or -1 when unknown
     */
    public BlobWriter writer(Digest expectedDigest, long expectedSize) throws IOException {
        if (expectedDigest == null) {
            Path temporary = ingest.resolve(TEMPORARY_PREFIX + UUID.randomUUID());
            WRITING.add(temporary);
            return BlobWriter.ingest(this, null, expectedSize, temporary, null);
        }
        Digest.engine(expectedDigest.algorithm());
        Optional<BlobInfo> present = info(expectedDigest);
        if (present.isPresent()) {
            return BlobWriter.alreadyStored(this, expectedDigest, present.get().size());
        }
        String name = expectedDigest.algorithm() + "-" + expectedDigest.hex();
        Path lockFile = ingest.resolve(name + ".lock");
        IngestLock lock;
        try {
            lock = IngestLock.acquire(lockFile);
        } catch (IOException e) {
            if (DiskFullException.isDiskFull(e)) {
                throw DiskFullException.of(root, "starting to store blob " + expectedDigest, e);
            }
            throw e;
        }
        present = info(expectedDigest);
        if (present.isPresent()) {
            // Waiting made the lock file again; a stored blob needs none.
            Files.deleteIfExists(lockFile);
            lock.close();
            return BlobWriter.alreadyStored(this, expectedDigest, present.get().size());
        }
        return BlobWriter.ingest(this, expectedDigest, expectedSize, ingest.resolve(name + ".partial"), lock);
    }

    /**
     * Stores {@code content} and returns its sha256 digest. Content that is stored already is not written again: an
     * export of a cached build makes the same config and manifest each time, and each write would cost a sync.
     */
    public Digest write(byte[] content) throws IOException {
        Digest digest = Digest.sha256(content);
        write(digest, content);
        return digest;
    }

    /** Stores {@code content} if it has {@code expected} as its digest, else refuses it. */
    public void write(Digest expected, byte[] content) throws IOException {
        try (BlobWriter writer = writer(expected, content.length)) {
            if (!writer.alreadyStored()) {
                writer.restart();
                writer.write(content);
            }
            writer.commit();
        }
    }

    /** Reads a stored blob. */
    public InputStream open(Digest digest) throws IOException {
        try {
            return Files.newInputStream(blobPath(digest));
        } catch (NoSuchFileException e) {
            throw notFound(digest);
        }
    }

    /** Reads a small stored blob (a manifest or config) whole. */
    public byte[] read(Digest digest) throws IOException {
        try {
            return Files.readAllBytes(blobPath(digest));
        } catch (NoSuchFileException e) {
            throw notFound(digest);
        }
    }

    public boolean exists(Digest digest) {
        return Files.isRegularFile(blobPath(digest));
    }

    public Optional<BlobInfo> info(Digest digest) throws IOException {
        try {
            return Optional.of(new BlobInfo(digest, Files.size(blobPath(digest))));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /** How many bytes a resumable ingest of {@code digest} holds (0 when none is under way). */
    public long ingestedBytes(Digest digest) throws IOException {
        try {
            return Files.size(ingest.resolve(digest.algorithm() + "-" + digest.hex() + ".partial"));
        } catch (NoSuchFileException e) {
            return 0;
        }
    }

    /** Every blob stored, with its size, in no particular order. */
    public Map<Digest, Long> blobs() throws IOException {
        Map<Digest, Long> stored = new HashMap<>();
        try (DirectoryStream<Path> algorithms = Files.newDirectoryStream(blobs)) {
            for (Path algorithm : algorithms) {
                try (DirectoryStream<Path> files = Files.newDirectoryStream(algorithm)) {
                    for (Path file : files) {
                        try {
                            stored.put(
                                    new Digest(
                                            algorithm.getFileName().toString(),
                                            file.getFileName().toString()),
                                    Files.size(file));
                        } catch (IllegalArgumentException notABlob) {
                            // a file someone else put here is not ours to list, or to delete
                        } catch (NoSuchFileException deletedMeanwhile) {
                            // gone since the listing
                        }
                    }
                }
            }
        }
        return stored;
    }

    /** Deletes a blob; true when it was there. */
    public boolean delete(Digest digest) throws IOException {
        return Files.deleteIfExists(blobPath(digest));
    }

    /** The file of a blob, stored or not, for callers that stream files (tar export, layer unpack). */
    public Path blobPath(Digest digest) {
        return blobs.resolve(digest.algorithm()).resolve(digest.hex());
    }

    /** Moves a verified, synced ingest file into place and makes the rename durable. */
    void publish(Path ingested, Digest digest) throws IOException {
        Path target = blobPath(digest);
        Files.createDirectories(target.getParent());
        try {
            Files.move(ingested, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("content store " + root + ": ingest/ and blobs/ must be on one file system", e);
        }
        try (FileChannel directory = FileChannel.open(target.getParent(), StandardOpenOption.READ)) {
            directory.force(true);
        }
        // Writers waiting for this digest find the blob before they look at the lock file again.
        Files.deleteIfExists(ingest.resolve(digest.algorithm() + "-" + digest.hex() + ".lock"));
    }

    private NoSuchFileException notFound(Digest digest) {
        return new NoSuchFileException(
                blobPath(digest).toString(), null, "blob " + digest + " is not in the content store at " + root);
    }
}
