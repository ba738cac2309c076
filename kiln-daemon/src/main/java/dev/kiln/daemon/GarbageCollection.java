package dev.kiln.daemon;

import dev.kiln.engine.Engine;
import dev.kiln.engine.UsageRecord;
import java.io.IOException;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.List;

/**
 * When the daemon collects garbage, as buildkitd's controller does: a second after it starts and a second after
 * each build ends, then at most once per interval however many builds end meanwhile (requests in between are
 * folded into one run after the interval). It runs on a thread of its own, so a build's answer never waits for it;
 * the engine's policies decide what goes, and never take what a running build holds.
 */
final class GarbageCollection implements AutoCloseable {

    /** Lets the build's answer and its client's next request go first. */
    private static final Duration DELAY = Duration.ofSeconds(1);

    private final Engine engine;
    private final Duration interval;
    private final PrintStream log;
    private final Object lock = new Object();
    private final Thread thread;
    private boolean requested;
    private boolean closed;

    GarbageCollection(Engine engine, Duration interval, PrintStream log) {
        this.engine = engine;
        this.interval = interval;
        this.log = log;
        this.thread = Thread.ofVirtual().name("kiln-gc").unstarted(this::loop);
        if (!engine.gcPolicies().isEmpty()) {
            thread.start();
        }
    }

    /** Asks for a collection soon; returns at once. */
    void soon() {
        synchronized (lock) {
            requested = true;
            lock.notifyAll();
        }
    }

    private void loop() {
        try {
            while (true) {
                synchronized (lock) {
                    while (!requested && !closed) {
                        lock.wait();
                    }
                    if (closed) {
                        return;
                    }
                }
                Thread.sleep(DELAY);
                synchronized (lock) {
                    requested = false;
                }
                collect();
                Thread.sleep(interval);
            }
        } catch (InterruptedException stopping) {
            // the daemon is closing; a collection cut short between two removals leaves a consistent state
        }
    }

    private void collect() {
        try {
            List<UsageRecord> removed = engine.collectGarbage(record -> {});
            if (!removed.isEmpty()) {
                long bytes = removed.stream()
                        .mapToLong(record -> Math.max(0, record.size()))
                        .sum();
                log.println("kiln daemon: gc removed " + removed.size() + " cache record"
                        + (removed.size() == 1 ? "" : "s") + ", " + megabytes(bytes) + " MB freed");
            }
        } catch (IOException | RuntimeException e) {
            log.println("kiln daemon: gc failed: " + e.getMessage());
        }
    }

    private static String megabytes(long bytes) {
        return BigDecimal.valueOf(bytes)
                .divide(BigDecimal.valueOf(1_000_000), 2, RoundingMode.HALF_UP)
                .toPlainString();
    }

    /** Stops collecting; a collection under way stops after the record it is removing. */
    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            lock.notifyAll();
        }
        thread.interrupt();
        try {
            if (thread.isAlive()) {
                thread.join(Duration.ofSeconds(60));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
