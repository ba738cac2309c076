package dev.kiln.engine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.function.Consumer;

/**
 * One engine at a time on a state directory, across processes. A second engine waits for the
 * first to close (saying once for which process it waits) instead of failing, up to a timeout.
 * The lock file names its holder (pid and start time) so the waiting one can say whom it waits
 * for; the lock itself is the kernel's, so a killed holder releases it at once.
 */
public final class StateLock implements AutoCloseable {

    static final String FILE_NAME = "engine.lock";

    private final FileChannel channel;
    private final FileLock lock;

    private StateLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Takes the state directory's lock, waiting up to {@code timeout} for another process to release it.
     *
     * @param onWait told once, with a line naming the holder, when the lock is busy and the wait begins
     * @throws StateBusyException when the holder kept it past the timeout, or this process holds it already
     */
    public static StateLock acquire(Path stateDir, Duration timeout, Consumer<String> onWait)
            throws IOException, InterruptedException {
        Files.createDirectories(stateDir);
        Path file = stateDir.resolve(FILE_NAME);
        FileChannel channel =
                FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            long deadline = System.nanoTime() + timeout.toNanos();
            long pause = 20;
            boolean told = false;
            while (true) {
                FileLock lock;
                try {
                    lock = channel.tryLock();
                } catch (OverlappingFileLockException e) {
                    throw new StateBusyException("state " + stateDir + " is already open by an engine in this process; "
                            + "close it first, or share that engine");
                }
                if (lock != null) {
                    writeHolder(channel);
                    return new StateLock(channel, lock);
                }
                String holder = holder(file);
                if (System.nanoTime() - deadline >= 0) {
                    throw new StateBusyException("state " + stateDir + " is in use by " + holder + ", which did not "
                            + "release it within " + seconds(timeout) + "; wait longer with --state-timeout, or use "
                            + "another --state");
                }
                if (!told) {
                    onWait.accept("waiting for state " + stateDir + ": in use by " + holder);
                    told = true;
                }
                Thread.sleep(Math.min(pause, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
                pause = Math.min(pause * 2, 250);
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private static void writeHolder(FileChannel channel) throws IOException {
        String text = "pid " + ProcessHandle.current().pid() + " started "
                + Instant.now().truncatedTo(ChronoUnit.SECONDS) + "\n";
        channel.truncate(0);
        channel.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)), 0);
    }

    /** "process 1234 (a kiln started 2026-12-06T07:40:12Z)", or "another process" when it has not said yet. */
    private static String holder(Path file) {
        try {
            String[] words = Files.readString(file).strip().split(" ");
            if (words.length == 4 && words[0].equals("pid")) {
                return "process " + words[1] + " (an engine " + words[2] + " " + words[3] + ")";
            }
        } catch (IOException ignored) {
            // whom we wait for only decorates the message
        }
        return "another process";
    }

    private static String seconds(Duration timeout) {
        return timeout.toMillis() % 1000 == 0 ? timeout.toSeconds() + "s" : timeout.toMillis() + "ms";
    }

    /** Lets go of the state; closing twice is harmless, as engines may be closed twice. */
    @Override
    public synchronized void close() throws IOException {
        if (!channel.isOpen()) {
            return;
        }
        try {
            lock.release();
        } finally {
            channel.close();
        }
    }

    /** The state directory stayed in use by another engine. */
    public static final class StateBusyException extends IOException {
        StateBusyException(String message) {
            super(message);
        }
    }
}
