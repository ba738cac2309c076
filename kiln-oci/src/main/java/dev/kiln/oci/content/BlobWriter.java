package dev.kiln.oci.content;

import dev.kiln.core.BlockOutputStream;
import dev.kiln.core.Digest;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * A blob being written into a {@link ContentStore}: bytes are hashed as they arrive and land in a file under
 * {@code ingest/}; {@link #commit()} moves them into {@code blobs/} (fsync, then rename) only if digest and size are
 * the expected ones. An ingest of a known digest that is closed without a commit stays, and the next writer for
 * that digest continues from {@link #offset()}. A write that finds the disk full deletes the ingest, whatever its
 * digest, and throws {@link DiskFullException}: a partial file kept then would keep the disk full for every later
 * build. The temporary file of an unknown digest is locked while it is written, so that
 * {@link ContentStore#open(Path)} can tell it from one a killed process left.
 */
public final class BlobWriter extends BlockOutputStream {
    private static final int BUFFER = 64 * 1024;

    private final ContentStore store;
    private final Digest expectedDigest;
    private final String algorithm;
    private final long expectedSize;
    private final Path partial;
    private final IngestLock lock;
    private java.nio.channels.FileLock temporaryLock;
    private final boolean stored;
    private MessageDigest hash;
    private FileChannel channel;
    private OutputStream out;
    private long offset;
    private boolean done;

    private BlobWriter(
            ContentStore store,
            Digest expectedDigest,
            long expectedSize,
            Path partial,
            IngestLock lock,
            boolean stored) {
        this.store = store;
        this.expectedDigest = expectedDigest;
        this.algorithm = expectedDigest == null ? "sha256" : expectedDigest.algorithm();
        this.expectedSize = expectedSize;
        this.partial = partial;
        this.lock = lock;
        this.stored = stored;
    }

    /** A writer for a blob the store already has: nothing to write, {@link #commit()} returns its digest. */
    static BlobWriter alreadyStored(ContentStore store, Digest digest, long size) {
        BlobWriter writer = new BlobWriter(store, digest, size, null, null, true);
        writer.offset = size;
        return writer;
    }

    /** Opens (or continues) the ingest file {@code partial}; {@code lock} is held until commit or close. */
    static BlobWriter ingest(
            ContentStore store, Digest expectedDigest, long expectedSize, Path partial, IngestLock lock)
            throws IOException {
        BlobWriter writer = new BlobWriter(store, expectedDigest, expectedSize, partial, lock, false);
        try {
            writer.resume();
        } catch (IOException | RuntimeException e) {
            if (e instanceof IOException io && DiskFullException.isDiskFull(io)) {
                throw writer.diskFull(io);
            }
            try {
                writer.giveUp();
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        return writer;
    }

    /**
     * After a start that failed (a thread interrupted while it opened the file, say: an export whose other layer
     * failed stops its writers so): a temporary file is this writer's own and goes, or nothing would remove it; a
     * known digest's bytes stay for a later writer to continue from. The ingest is released either way.
     */
    private void giveUp() throws IOException {
        if (expectedDigest == null) {
            abort();
            return;
        }
        done = true;
        try {
            if (channel != null) {
                channel.close();
            }
        } finally {
            release();
        }
    }

    private void resume() throws IOException {
        hash = Digest.engine(algorithm);
        channel =
                FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ);
        if (expectedDigest == null) {
            // A new file of this process: nobody else holds a lock on it, and only this channel ever opens it.
            temporaryLock = channel.tryLock();
        }
        long existing = channel.size();
        if (existing > 0 && expectedSize >= 0 && existing > expectedSize) {
            channel.truncate(0);
            existing = 0;
        }
        if (existing > 0) {
            try (InputStream previous = Files.newInputStream(partial)) {
                byte[] buffer = new byte[BUFFER];
                long left = existing;
                while (left > 0) {
                    int read = previous.read(buffer, 0, (int) Math.min(buffer.length, left));
                    if (read < 0) {
                        break;
                    }
                    hash.update(buffer, 0, read);
                    left -= read;
                }
            }
        }
        channel.position(existing);
        offset = existing;
        out = new BufferedOutputStream(Channels.newOutputStream(channel), BUFFER);
    }

    /** How many bytes the blob has so far: the resume point for a download. */
    public long offset() {
        return offset;
    }

    /** True when the store already had this blob: there is nothing to write. */
    public boolean alreadyStored() {
        return stored;
    }

    @Override
    public void write(byte[] bytes, int from, int length) throws IOException {
        ensureWritable();
        if (expectedSize >= 0 && offset + length > expectedSize) {
            long received = offset + length;
            abort();
            throw DigestMismatchException.of(expectedDigest, expectedSize, null, received);
        }
        try {
            out.write(bytes, from, length);
        } catch (IOException e) {
            throw failed(e);
        }
        hash.update(bytes, from, length);
        offset += length;
    }

    /** Forgets what was written so far, for a source that cannot continue where the last one stopped. */
    public void restart() throws IOException {
        ensureWritable();
        try {
            out.flush();
            channel.truncate(0);
            channel.position(0);
        } catch (IOException e) {
            throw failed(e);
        }
        hash.reset();
        offset = 0;
    }

    /**
     * Verifies digest and size and makes the blob visible in the store, durably.
     *
     * @return the blob's digest
     * @throws DigestMismatchException naming expected and actual digest and size; the ingest is deleted
     */
    public Digest commit() throws IOException {
        if (stored) {
            done = true;
            return expectedDigest;
        }
        ensureWritable();
        try {
            out.flush();
        } catch (IOException e) {
            throw failed(e);
        }
        Digest actual = new Digest(algorithm, HexFormat.of().formatHex(hash.digest()));
        if ((expectedDigest != null && !expectedDigest.equals(actual))
                || (expectedSize >= 0 && expectedSize != offset)) {
            long size = offset;
            abort();
            throw DigestMismatchException.of(expectedDigest, expectedSize, actual, size);
        }
        try {
            channel.force(true);
        } catch (IOException e) {
            throw failed(e);
        }
        try {
            // Moved while still open (and, for a temporary file, locked), so no sweep of stale files can take it first.
            store.publish(partial, actual);
        } catch (IOException | RuntimeException e) {
            // Not in the store (a full disk can refuse even the rename's directory entry): what was written goes, as
            // for any failed write, or a temporary file would stay in ingest/ with nothing to remove it.
            try {
                abort();
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            if (e instanceof IOException io) {
                throw failed(io);
            }
            throw e;
        }
        done = true;
        try {
            channel.close();
        } finally {
            release();
        }
        return actual;
    }

    /** Deletes what was written, even for a known digest, and releases the ingest. */
    public void abort() throws IOException {
        if (done) {
            return;
        }
        done = true;
        try {
            if (channel != null) {
                channel.close();
            }
            if (partial != null) {
                Files.deleteIfExists(partial);
            }
        } finally {
            release();
        }
    }

    /**
     * Ends this writer. Without a commit, the bytes of a known digest stay for a later writer to continue from; the
     * bytes of an unknown digest are deleted.
     */
    @Override
    public void close() throws IOException {
        if (done) {
            return;
        }
        if (expectedDigest == null) {
            abort();
            return;
        }
        IOException failure = null;
        try {
            out.flush();
        } catch (IOException e) {
            failure = failed(e);
        }
        if (!done) {
            done = true;
            try {
                channel.close();
            } finally {
                release();
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private void ensureWritable() throws IOException {
        if (stored) {
            throw new IllegalStateException("blob " + expectedDigest + " is already stored; there is nothing to write");
        }
        if (done) {
            throw new IOException("the writer for blob " + (expectedDigest == null ? "" : expectedDigest + " ")
                    + "is already committed, aborted or closed");
        }
    }

    /** {@code e}, unless it says the disk is full: then the ingest is deleted and the failure says so. */
    private IOException failed(IOException e) {
        return DiskFullException.isDiskFull(e) ? diskFull(e) : e;
    }

    private DiskFullException diskFull(IOException e) {
        if (e instanceof DiskFullException full) {
            return full;
        }
        DiskFullException full = DiskFullException.of(
                store.root(),
                "storing "
                        + (expectedDigest == null ? "a blob" : "blob " + expectedDigest) + " (" + offset
                        + " bytes written"
                        + (expectedSize >= 0 ? " of " + expectedSize : "") + ")",
                e);
        try {
            abort();
        } catch (IOException | RuntimeException cleanup) {
            full.addSuppressed(cleanup);
        }
        return full;
    }

    private void release() throws IOException {
        try {
            if (expectedDigest == null && partial != null) {
                ContentStore.forgetTemporary(partial);
            }
        } finally {
            if (lock != null) {
                lock.close();
            }
        }
    }
}
