package dev.kiln.daemon;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The builds of the daemon by their client-chosen ref, so that a Status call finds the progress of the Solve call
 * with the same ref, whichever of the two arrives first. A finished build's progress stays readable for a while, for
 * a Status call that comes late, then goes.
 */
final class BuildJobs {

    /**
     * How long a finished build's progress stays for a Status call that comes after its Solve ended (a client sends
     * both at once, so only a slow start of the Status call is late; buildkitd keeps none). Kept for two minutes, the
     * progress of builds that follow each other fast stayed in memory by the hundred: 200 cached builds in a row left
     * 2.8 MB more live heap (issue 13's W6 asks the daemon's memory to stay flat across 100).
     */
    static final Duration KEEP_FINISHED = Duration.ofSeconds(10);

    /**
     * How long a Status call waits for the Solve of its ref to begin, as buildkitd's does, before it answers that
     * there is no such build (a client sends both at once, so either may arrive first).
     */
    static final Duration AWAIT_SOLVE = Duration.ofSeconds(6);

    private final ConcurrentMap<String, StatusFeed> feeds = new ConcurrentHashMap<>();
    /** Notified whenever a Solve makes a feed, for the Status calls that wait for theirs. */
    private final Object feedMade = new Object();

    private final AtomicInteger running = new AtomicInteger();
    private volatile long lastActivity = System.nanoTime();
    private final Runnable onEnd;

    BuildJobs() {
        this(() -> {});
    }

    /** Builds that run {@code onEnd} as each ends (it must return at once: the build's thread runs it). */
    BuildJobs(Runnable onEnd) {
        this.onEnd = onEnd;
    }

    /** The progress of the Solve {@code ref}: its own, made on the first call. */
    StatusFeed feed(String ref) {
        StatusFeed feed = feeds.get(ref);
        if (feed != null) {
            return feed;
        }
        synchronized (feedMade) {
            feed = feeds.computeIfAbsent(ref, key -> new StatusFeed());
            feedMade.notifyAll();
            return feed;
        }
    }

    /**
     * The progress of the build {@code ref} for a Status call: running, or finished less than {@link #KEEP_FINISHED}
     * ago, or begun within {@code wait}; empty when there is none by then (an unknown ref, or one long finished).
     */
    Optional<StatusFeed> awaitFeed(String ref, Duration wait) throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        synchronized (feedMade) {
            StatusFeed feed;
            while ((feed = feeds.get(ref)) == null) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return Optional.empty();
                }
                TimeUnit.NANOSECONDS.timedWait(feedMade, left);
            }
            return Optional.of(feed);
        }
    }

    /** Marks the start of a Solve; the returned handle ends it. */
    Running start(String ref) {
        running.incrementAndGet();
        touch();
        return new Running(ref, feed(ref));
    }

    /** How many builds run now. */
    int running() {
        return running.get();
    }

    /** Nanotime of the last start or end of a build or other client call, for the idle timeout. */
    long lastActivity() {
        return lastActivity;
    }

    void touch() {
        lastActivity = System.nanoTime();
    }

    /** One running build; closing it ends its progress and forgets it after {@link #KEEP_FINISHED}. */
    final class Running implements AutoCloseable {

        private final String ref;
        private final StatusFeed feed;

        private Running(String ref, StatusFeed feed) {
            this.ref = ref;
            this.feed = feed;
        }

        StatusFeed feed() {
            return feed;
        }

        @Override
        public void close() {
            feed.finish();
            running.decrementAndGet();
            touch();
            onEnd.run();
            Thread.ofVirtual().name("forget-build-" + ref).start(() -> {
                try {
                    Thread.sleep(KEEP_FINISHED);
                    feeds.remove(ref, feed);
                } catch (InterruptedException ignored) {
                    // the daemon is stopping: the map goes with it
                }
            });
        }
    }
}
