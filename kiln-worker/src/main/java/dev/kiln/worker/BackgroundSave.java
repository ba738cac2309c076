package dev.kiln.worker;

import java.io.IOException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Saves what builds learnt (the file checksum index, the records' uses) behind them, on one thread of its own. The
 * save of a 20,000-file context's checksums (encode, write, fsync) took 45 to 90 ms at the end of every W3 build,
 * before its client heard the result. Requests coalesce (one save queued at a time), a failed save is reported by the
 * next request, and closing waits for the save under way. What a crash can lose is the last save: the next process
 * hashes some files again and misses some last-used times, never a record or a result.
 */
final class BackgroundSave implements AutoCloseable {

    /** The save itself. */
    @FunctionalInterface
    interface Save {
        void run() throws IOException;
    }

    private final Save save;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().name("kiln-save").daemon(true).factory());
    private final AtomicBoolean queued = new AtomicBoolean();
    private final AtomicReference<IOException> failed = new AtomicReference<>();

    BackgroundSave(Save save) {
        this.save = save;
    }

    /** Saves soon; throws what the last background save failed with, once. */
    void request() throws IOException {
        IOException failure = failed.getAndSet(null);
        if (queued.compareAndSet(false, true)) {
            try {
                thread.execute(this::run);
            } catch (RejectedExecutionException closed) {
                queued.set(false); // closing: close's caller saves what is left
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private void run() {
        // cleared first: what a build learns while this save runs is saved by the next one
        queued.set(false);
        try {
            save.run();
        } catch (IOException e) {
            failed.set(e);
        } catch (RuntimeException e) {
            failed.set(new IOException(e.getMessage(), e));
        }
    }

    /**
     * Waits for the save under way and refuses new ones (the executor's own close: interrupted, it stops waiting and
     * keeps the interrupt); the caller then saves what is left itself.
     */
    @Override
    public void close() {
        thread.close();
    }
}
