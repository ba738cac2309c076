package dev.kiln.oci.content;

import dev.kiln.core.ReleaseOnce;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Semaphore;

/**
 * Exclusive right to ingest one digest: a semaphore for the threads of this JVM (file locks are per process) and
 * a file lock for other processes sharing the store. Waiting is blocking, as it should be on a virtual thread.
 */
final class IngestLock implements AutoCloseable {
    private static final ConcurrentMap<Path, Gate> GATES = new ConcurrentHashMap<>();

    /** Gives up the file lock, then the gate: run by the first close only. */
    private final ReleaseOnce release;

    private IngestLock(Path file, FileChannel channel, FileLock lock) {
        this.release = new ReleaseOnce(() -> {
            try {
                lock.release();
                channel.close();
            } finally {
                GATES.get(file).semaphore.release();
                leave(file);
            }
        });
    }

    static IngestLock acquire(Path file) throws IOException {
        Path key = file.toAbsolutePath().normalize();
        Gate gate = GATES.compute(key, (path, existing) -> existing == null ? new Gate(1) : existing.join());
        try {
            gate.semaphore.acquire();
        } catch (InterruptedException e) {
            leave(key);
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted waiting for another ingest of " + file.getFileName());
        }
        FileChannel channel = null;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            return new IngestLock(key, channel, channel.lock());
        } catch (IOException | RuntimeException e) {
            if (channel != null) {
                channel.close();
            }
            gate.semaphore.release();
            leave(key);
            throw e;
        }
    }

    @Override
    public void close() throws IOException {
        release.close();
    }

    private static void leave(Path key) {
        GATES.computeIfPresent(key, (path, gate) -> gate.users == 1 ? null : gate.leave());
    }

    /** A semaphore and the number of threads holding or waiting for it, so idle gates can be forgotten. */
    private static final class Gate {
        final Semaphore semaphore;
        int users;

        Gate(int users) {
            this.semaphore = new Semaphore(1);
            this.users = users;
        }

        Gate join() {
            users++;
            return this;
        }

        Gate leave() {
            users--;
            return this;
        }
    }
}
