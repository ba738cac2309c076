package dev.kiln.oci.registry;

import dev.kiln.core.PassThroughInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpTimeoutException;
import java.time.Duration;

/**
 * A response body whose reads may wait for data at most a given time. The JDK's HTTP client has a timeout for the
 * response headers only; a registry that stops sending in the middle of a body would block a read forever. A
 * watchdog on a virtual thread closes the body when one read has waited too long, which wakes the read; it then
 * fails with {@link HttpTimeoutException}, which the caller treats like a broken connection (resume with a range).
 * The time the caller spends between reads (writing to disk) is not counted.
 */
final class ReadTimeoutInputStream extends PassThroughInputStream {
    private final Duration timeout;
    private final Thread watchdog;
    private volatile long readingSince;
    private volatile boolean timedOut;
    private volatile boolean closed;

    ReadTimeoutInputStream(InputStream in, Duration timeout) {
        super(in);
        this.timeout = timeout;
        this.watchdog = Thread.ofVirtual().name("kiln-registry-read-timeout").start(this::watch);
    }

    private void watch() {
        long limit = timeout.toNanos();
        try {
            while (!closed) {
                long since = readingSince;
                long waited = since == 0 ? 0 : System.nanoTime() - since;
                if (since != 0 && waited >= limit) {
                    timedOut = true;
                    try {
                        in.close();
                    } catch (IOException ignored) {
                        // the body is abandoned either way; the reader reports the timeout
                    }
                    return;
                }
                Thread.sleep(Duration.ofNanos(Math.max(limit - waited, 1_000_000)));
            }
        } catch (InterruptedException stopped) {
            // closed by the reader
        }
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        readingSince = System.nanoTime();
        try {
            int read = in.read(buffer, offset, length);
            if (timedOut) {
                throw timeout(null);
            }
            return read;
        } catch (IOException e) {
            throw timedOut ? timeout(e) : e;
        } finally {
            readingSince = 0;
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        watchdog.interrupt();
        in.close();
    }

    private HttpTimeoutException timeout(IOException cause) {
        HttpTimeoutException e = new HttpTimeoutException("no data arrived for " + describe(timeout));
        if (cause != null) {
            e.initCause(cause);
        }
        return e;
    }

    static String describe(Duration duration) {
        return duration.toMillis() % 1000 == 0 ? duration.toSeconds() + " s" : duration.toMillis() + " ms";
    }
}
