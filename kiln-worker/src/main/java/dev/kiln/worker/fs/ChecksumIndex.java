package dev.kiln.worker.fs;

import dev.kiln.core.Sha256;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Remembers the SHA-256 of file contents by (absolute path, size, mtime, inode, ctime), so checksumming a tree
 * whose files did not change reads none of them. Persisted in one file, replaced atomically on {@link #save()};
 * an unreadable or corrupt file is discarded (everything is hashed again), never an error.
 *
 * <p>A hash is only remembered when the file's mtime and ctime are older than the moment its reading began by
 * more than the file system's timestamp granularity; otherwise a write landing in the same clock tick right after
 * the read could leave all five keys unchanged and the stale hash would be trusted ("racy" entries, as git calls
 * them).
 */
public final class ChecksumIndex {

    private static final byte[] MAGIC = "KILNCSI1".getBytes(StandardCharsets.US_ASCII);
    /** Larger than the coarse kernel clock tick that stamps mtime/ctime (at most 10 ms with HZ=100). */
    private static final long RACY_WINDOW_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    /** The largest read while hashing a file. */
    private static final int MAX_READ = 128 * 1024;

    private static final int WRITE_BUFFER = 64 * 1024;

    private record Key(long size, long modified, long inode, long changed) {}

    /** How the index served lookups since it was opened. */
    public record Stats(long hits, long misses, long entries) {}

    private final Path file;
    private final ChecksumTable entries = new ChecksumTable();
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();
    private volatile boolean dirty;
    private final String discardedBecause;

    private ChecksumIndex(Path file, String discardedBecause) {
        this.file = file;
        this.discardedBecause = discardedBecause;
    }

    /** Loads the index kept in {@code file}; a missing or corrupt file gives an empty index. */
    public static ChecksumIndex open(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return new ChecksumIndex(file, null);
        } catch (IOException e) {
            return new ChecksumIndex(file, "unreadable: " + e.getMessage());
        }
        ChecksumIndex index = new ChecksumIndex(file, null);
        try {
            index.decode(bytes);
            return index;
        } catch (IOException | RuntimeException e) {
            return new ChecksumIndex(file, "corrupt: " + e.getMessage());
        }
    }

    /** An index that lives only as long as this object. */
    public static ChecksumIndex inMemory() {
        return new ChecksumIndex(null, null);
    }

    /** Why the stored index was thrown away when it was opened, if it was. */
    public Optional<String> discarded() {
        return Optional.ofNullable(discardedBecause);
    }

    public Stats stats() {
        return new Stats(hits.get(), misses.get(), entries.size());
    }

    /** The content digest (32 bytes) of the file at {@code path}, reading it only when the index cannot vouch. */
    byte[] contentDigest(Path path, FileStat stat) throws IOException {
        String name = path.toAbsolutePath().normalize().toString();
        Key key = keyOf(stat);
        byte[] known = lookup(name, key);
        if (known != null) {
            return known;
        }
        long startedAt = nanos(FileTime.from(Instant.now()));
        byte[] digest = hashContent(path, stat.size());
        if (Math.max(key.modified(), key.changed()) < startedAt - RACY_WINDOW_NANOS) {
            store(name, key, digest);
        } else if (entries.remove(name)) {
            dirty = true;
        }
        return digest;
    }

    /**
     * The content digest of {@code layerFile}, a file of a committed snapshot layer, which never changes while it
     * exists and whose path is never reused. Its ctime does not count: hard links made to the file (a COPY sharing it)
     * change that, not the content. Size, mtime and inode still have to match.
     */
    byte[] immutableDigest(Path layerFile, FileStat stat) throws IOException {
        String name = layerFile.toAbsolutePath().normalize().toString();
        Key key = new Key(stat.size(), nanos(stat.modified()), stat.inode(), 0);
        byte[] known = lookup(name, key);
        if (known != null) {
            return known;
        }
        byte[] digest = hashContent(layerFile, stat.size());
        store(name, key, digest);
        return digest;
    }

    /** The digest remembered for {@code name} under exactly {@code key}, counted as a hit or a miss. */
    private byte[] lookup(String name, Key key) {
        byte[] known = entries.digestIfSame(name, key.size(), key.modified(), key.inode(), key.changed());
        (known != null ? hits : misses).incrementAndGet();
        return known;
    }

    private void store(String name, Key key, byte[] digest) {
        entries.put(name, key.size(), key.modified(), key.inode(), key.changed(), digest);
        dirty = true;
    }

    /** Drops entries for paths under {@code dir}, e.g. when a snapshot is deleted. */
    public void forgetUnder(Path dir) {
        String prefix = dir.toAbsolutePath().normalize().toString();
        if (entries.removeUnder(prefix)) {
            dirty = true;
        }
    }

    /** Writes the index if it changed: temp file, fsync, rename over the old one, fsync of the directory. */
    public synchronized void save() throws IOException {
        if (file == null || !dirty) {
            return;
        }
        dirty = false;
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path temp = Files.createTempFile(dir, file.getFileName() + ".", ".tmp");
        try {
            try (FileChannel out =
                    FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                write(Channels.newOutputStream(out));
                out.force(true);
            }
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            dirty = true;
            Files.deleteIfExists(temp);
            throw e;
        }
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            // Some file systems refuse fsync on a directory; the rename is still atomic.
        }
    }

    /**
     * Writes the body, then its SHA-256, streamed: W3's 40,000 entries make a 6 MB file, which built in memory first
     * cost the daemon some 28 MB of garbage in arrays of up to 8 MB after each build (the growing buffer, its copy,
     * the copy with the digest), while its young generation is 16 MiB (issue 13's W6).
     */
    private void write(OutputStream file) throws IOException {
        MessageDigest sha = Sha256.engine();
        DataOutputStream out =
                new DataOutputStream(new BufferedOutputStream(new DigestOutputStream(file, sha), WRITE_BUFFER));
        out.write(MAGIC);
        // the count and the entries under one hold of the table's lock, so that they agree
        synchronized (entries) {
            out.writeInt(entries.size());
            entries.forEach((path, size, modified, inode, changed, digest) -> {
                byte[] name = path.getBytes(StandardCharsets.UTF_8);
                out.writeInt(name.length);
                out.write(name);
                out.writeLong(size);
                out.writeLong(modified);
                out.writeLong(inode);
                out.writeLong(changed);
                out.write(digest);
            });
        }
        out.flush();
        file.write(sha.digest());
    }

    private void decode(byte[] bytes) throws IOException {
        if (bytes.length < MAGIC.length + 4 + 32) {
            throw new IOException("too short");
        }
        byte[] body = Arrays.copyOf(bytes, bytes.length - 32);
        byte[] sum = Arrays.copyOfRange(bytes, bytes.length - 32, bytes.length);
        if (!MessageDigest.isEqual(Sha256.engine().digest(body), sum)) {
            throw new IOException("checksum mismatch");
        }
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(body));
        byte[] magic = in.readNBytes(MAGIC.length);
        if (!Arrays.equals(magic, MAGIC)) {
            throw new IOException("not a checksum index");
        }
        int count = in.readInt();
        if (count < 0) {
            throw new IOException("negative entry count");
        }
        for (int i = 0; i < count; i++) {
            int length = in.readInt();
            if (length < 0 || length > body.length) {
                throw new IOException("bad path length");
            }
            String name = new String(in.readNBytes(length), StandardCharsets.UTF_8);
            Key key = new Key(in.readLong(), in.readLong(), in.readLong(), in.readLong());
            byte[] digest = in.readNBytes(32);
            if (digest.length != 32) {
                throw new IOException("truncated entry");
            }
            entries.put(name, key.size(), key.modified(), key.inode(), key.changed(), digest);
        }
        if (in.available() != 0) {
            throw new IOException("trailing bytes");
        }
    }

    private static Key keyOf(FileStat stat) {
        return new Key(stat.size(), nanos(stat.modified()), stat.inode(), nanos(stat.changed()));
    }

    private static long nanos(FileTime time) {
        return time.to(TimeUnit.NANOSECONDS);
    }

    /**
     * {@code size}: the file's size as its lstat said, which sizes the read buffer (at least one byte, or a read would
     * never see the end). One buffer of the largest read for every file made a 20,000-file context's checksums
     * allocate some 2.5 GB a build for files of 50 bytes to 1 KB, and the young collections that paid for it promoted
     * whatever else was in flight into the daemon's old generation, whose size is its peak resident size (W6).
     */
    private static byte[] hashContent(Path path, long size) throws IOException {
        MessageDigest sha = Sha256.engine();
        try (FileChannel in =
                FileChannel.open(path, StandardOpenOption.READ, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            ByteBuffer buffer = ByteBuffer.allocate((int) Math.clamp(size, 1, MAX_READ));
            while (in.read(buffer) >= 0) {
                buffer.flip();
                sha.update(buffer);
                buffer.clear();
            }
        }
        return sha.digest();
    }
}
