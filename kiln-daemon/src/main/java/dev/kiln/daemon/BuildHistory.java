package dev.kiln.daemon;

import dev.kiln.api.control.BuildHistoryEvent;
import dev.kiln.api.control.BuildHistoryEventType;
import dev.kiln.api.control.BuildHistoryRecord;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The daemon's record of each build, as BuildKit's build history keeps it: the builds running now, and the finished
 * ones, which outlive the daemon in {@code <state>/daemon/history}. Every change is an event to the listeners
 * (ListenBuildHistory calls that wait for more).
 *
 * <p>The file is a header line and the records as length-delimited protobuf messages, replaced whole on each change
 * (written beside it, then moved over it), so a daemon killed mid-write leaves the old file. A file that cannot be read
 * costs the history, never the daemon's start: the log says so and the history starts empty.
 */
final class BuildHistory {

    /**
     * buildkitd's bounds (its history config's defaults): a finished build's record goes once there are more than
     * {@value #MAX_ENTRIES} newer ones and it completed more than {@link #MAX_AGE} ago; a pinned one stays.
     */
    static final int MAX_ENTRIES = 50;

    static final Duration MAX_AGE = Duration.ofHours(48);

    private static final byte[] HEADER = "kiln-build-history 1\n".getBytes(StandardCharsets.US_ASCII);

    private final Path file;
    private final PrintStream log;
    private final Clock clock;
    private final Map<String, BuildHistoryRecord> running = new LinkedHashMap<>();
    private final Map<String, BuildHistoryRecord> finished = new LinkedHashMap<>();
    private final Set<Listener> listeners = new CopyOnWriteArraySet<>();

    private BuildHistory(Path file, PrintStream log, Clock clock) {
        this.file = file;
        this.log = log;
        this.clock = clock;
    }

    /** The history kept under the daemon's {@code stateDir}. */
    static BuildHistory open(Path stateDir, PrintStream log) {
        return open(stateDir.resolve("daemon").resolve("history"), log, Clock.systemUTC());
    }

    static BuildHistory open(Path file, PrintStream log, Clock clock) {
        BuildHistory history = new BuildHistory(file, log, clock);
        history.load();
        return history;
    }

    private void load() {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] header = in.readNBytes(HEADER.length);
            if (!Arrays.equals(header, HEADER)) {
                throw new IOException("it does not start with " + new String(HEADER, StandardCharsets.US_ASCII).trim());
            }
            BuildHistoryRecord record;
            while ((record = BuildHistoryRecord.parseDelimitedFrom(in)) != null) {
                finished.put(record.getRef(), record);
            }
        } catch (NoSuchFileException e) {
            return; // a daemon's first start
        } catch (IOException | RuntimeException e) {
            finished.clear();
            log.println("kiln daemon: warning: build history " + file + " is unreadable (" + e.getMessage()
                    + "); starting with an empty history");
            return;
        }
        synchronized (this) {
            bound();
        }
    }

    /** A build that starts now: STARTED to the listeners. */
    synchronized void started(BuildHistoryRecord record) {
        running.put(record.getRef(), record);
        publish(BuildHistoryEventType.STARTED, record);
    }

    /** A build that has ended, kept: COMPLETE to the listeners. */
    synchronized void completed(BuildHistoryRecord record) {
        running.remove(record.getRef());
        finished.remove(record.getRef()); // a ref used again is the newest build
        finished.put(record.getRef(), record);
        publish(BuildHistoryEventType.COMPLETE, record);
        bound();
        save();
    }

    /** Pins or unpins a finished build's record, as a new generation of it; empty when there is none. */
    synchronized Optional<BuildHistoryRecord> pin(String ref, boolean pinned) {
        BuildHistoryRecord record = finished.get(ref);
        if (record == null) {
            return Optional.empty();
        }
        BuildHistoryRecord updated = record.toBuilder()
                .setPinned(pinned)
                .setGeneration(record.getGeneration() + 1)
                .build();
        finished.put(ref, updated);
        publish(BuildHistoryEventType.COMPLETE, updated);
        save();
        return Optional.of(updated);
    }

    /** Forgets a finished build's record; false when there is none. */
    synchronized boolean delete(String ref) {
        if (finished.remove(ref) == null) {
            return false;
        }
        publishDeleted(ref);
        save();
        return true;
    }

    synchronized boolean isRunning(String ref) {
        return running.containsKey(ref);
    }

    /**
     * A listener that hears every change from now on, with the records as they are now: taken together, so that no
     * change falls between them.
     */
    synchronized Listener listen() {
        Listener listener = new Listener(List.copyOf(running.values()), List.copyOf(finished.values()));
        listeners.add(listener);
        return listener;
    }

    /** Unpinned records beyond the newest {@value #MAX_ENTRIES} that completed before {@link #MAX_AGE} ago go. */
    private void bound() {
        List<BuildHistoryRecord> unpinned = finished.values().stream()
                .filter(record -> !record.getPinned())
                .sorted(Comparator.comparing((BuildHistoryRecord record) -> completedAt(record))
                        .reversed())
                .toList();
        Instant oldest = clock.instant().minus(MAX_AGE);
        for (BuildHistoryRecord record : unpinned.subList(Math.min(MAX_ENTRIES, unpinned.size()), unpinned.size())) {
            if (completedAt(record).isBefore(oldest)) {
                finished.remove(record.getRef());
                publishDeleted(record.getRef());
            }
        }
    }

    private static Instant completedAt(BuildHistoryRecord record) {
        return WireTime.instant(record.getCompletedAt());
    }

    private void publishDeleted(String ref) {
        publish(
                BuildHistoryEventType.DELETED,
                BuildHistoryRecord.newBuilder().setRef(ref).build());
    }

    private void publish(BuildHistoryEventType type, BuildHistoryRecord record) {
        BuildHistoryEvent event =
                BuildHistoryEvent.newBuilder().setType(type).setRecord(record).build();
        listeners.forEach(listener -> listener.events.add(event));
    }

    /** Writes the finished records; a failure is logged, and the records stay in memory for the next write. */
    private void save() {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write(HEADER);
            for (BuildHistoryRecord record : finished.values()) {
                record.writeDelimitedTo(out);
            }
            Files.createDirectories(file.getParent());
            Path next = file.resolveSibling(file.getFileName() + ".next");
            Files.write(next, out.toByteArray());
            Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            log.println("kiln daemon: warning: cannot write build history " + file + ": " + e.getMessage());
        }
    }

    /** One ListenBuildHistory call's view: the records when it began, then each change; closing it stops the changes. */
    final class Listener implements AutoCloseable {

        private final List<BuildHistoryRecord> running;
        private final List<BuildHistoryRecord> finished;
        private final BlockingQueue<BuildHistoryEvent> events = new LinkedBlockingQueue<>();

        private Listener(List<BuildHistoryRecord> running, List<BuildHistoryRecord> finished) {
            this.running = running;
            this.finished = finished;
        }

        List<BuildHistoryRecord> running() {
            return running;
        }

        List<BuildHistoryRecord> finished() {
            return finished;
        }

        /** The next change, waiting up to {@code timeoutMillis}; null when none came. */
        BuildHistoryEvent next(long timeoutMillis) throws InterruptedException {
            return events.poll(timeoutMillis, TimeUnit.MILLISECONDS);
        }

        @Override
        public void close() {
            listeners.remove(this);
        }
    }
}
