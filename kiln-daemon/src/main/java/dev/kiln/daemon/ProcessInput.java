package dev.kiln.daemon;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The standard input of a container process whose client sends it in ExecProcess messages: the stream's handler
 * {@link #write}s what arrives and {@link #end}s it at the client's end-of-file; the process's input pump reads it.
 * A bounded buffer: a writer waits while a process does not read, as BuildKit's pipe makes the stream wait. Unlike
 * java.io's piped streams it does not care which threads write and read (gRPC hands messages to any thread).
 */
final class ProcessInput extends InputStream {

    /** What may wait for a process that does not read: enough for any paste, too little to exhaust the heap. */
    private static final int LIMIT = 1 << 20;

    private final Deque<byte[]> chunks = new ArrayDeque<>();
    private int offset;
    private long buffered;
    private boolean ended;
    private boolean closed;

    /**
     * Queues {@code data} for the process; waits while the buffer is full.
     *
     * @return false when the process no longer reads (it ended): the data is dropped
     */
    synchronized boolean write(byte[] data) throws InterruptedException {
        if (ended) {
            throw new IllegalStateException("input already ended");
        }
        while (!closed && buffered >= LIMIT) {
            wait();
        }
        if (closed) {
            return false;
        }
        if (data.length > 0) {
            chunks.addLast(data);
            buffered += data.length;
            notifyAll();
        }
        return true;
    }

    /** The client's end-of-file: the process reads what is buffered, then the end. */
    synchronized void end() {
        ended = true;
        notifyAll();
    }

    @Override
    public synchronized int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public synchronized int read(byte[] buffer, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        try {
            while (chunks.isEmpty() && !ended && !closed) {
                wait();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while waiting for input");
        }
        if (closed || chunks.isEmpty()) {
            return -1;
        }
        byte[] head = chunks.peekFirst();
        int n = Math.min(len, head.length - offset);
        System.arraycopy(head, offset, buffer, off, n);
        offset += n;
        buffered -= n;
        if (offset == head.length) {
            chunks.removeFirst();
            offset = 0;
        }
        notifyAll();
        return n;
    }

    /** The reading side is done (the process ended): what is buffered is dropped, and writers stop waiting. */
    @Override
    public synchronized void close() {
        closed = true;
        chunks.clear();
        buffered = 0;
        notifyAll();
    }
}
