package dev.kiln.daemon;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.kiln.api.control.BuildHistoryEvent;
import dev.kiln.api.control.BuildHistoryEventType;
import dev.kiln.api.control.BuildHistoryRecord;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
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
 * <p>The file is a header line, then the changes as length-delimited {@link BuildHistoryEvent}s: COMPLETE puts a
 * record (replacing one of its ref), DELETED drops one. A change appends one message, so that a build's end costs the
 * same however many builds the history holds (rewriting the whole file on each build cost a cached build 12 ms of
 * the daemon's CPU once it held some 800 records, and two days of builds are all kept). The file is written anew, beside it and then moved over it, once most of its
 * messages are superseded, and on load when it is of version 1 (the records, each once) or ends in a message a daemon
 * killed mid-append left torn: the changes before that one are kept. A file that cannot be read costs the history,
 * never the daemon's start: the log says so, the history starts empty, and the next change replaces the file.
 */
final class BuildHistory {

    /**
     * buildkitd's bounds (its history config's defaults): a finished build's record goes once there are more than
     * {@value #MAX_ENTRIES} newer ones and it completed more than {@link #MAX_AGE} ago; a pinned one stays.
     */
    static final int MAX_ENTRIES = 50;

    static final Duration MAX_AGE = Duration.ofHours(48);

    private static final byte[] HEADER = "kiln-build-history 2\n".getBytes(StandardCharsets.US_ASCII);

    /** Version 1, the format before: the records, each once, in the order they completed. */
    private static final byte[] HEADER_RECORDS = "kiln-build-history 1\n".getBytes(StandardCharsets.US_ASCII);

    /** Superseded messages the file may hold beyond its live records before it is written anew. */
    private static final int REWRITE_SLACK = 64;

    private final Path file;
    private final PrintStream log;
    private final Clock clock;
    private final Map<String, BuildHistoryRecord> running = new LinkedHashMap<>();
    private final Map<String, BuildHistoryRecord> finished = new LinkedHashMap<>();
    private final Set<Listener> listeners = new CopyOnWriteArraySet<>();
    /** The messages in the file: live records and superseded ones. */
    private int messages;
    /** The file cannot take an append (unreadable, torn, or an append failed): the next change writes it anew. */
    private boolean rewriteNeeded;

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
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
            byte[] header = in.readNBytes(HEADER.length);
            boolean events = Arrays.equals(header, HEADER);
            if (!events && !Arrays.equals(header, HEADER_RECORDS)) {
                throw new IOException("it does not start with " + new String(HEADER, StandardCharsets.US_ASCII).trim());
            }
            rewriteNeeded = !events;
            try {
                while (events
                        ? apply(BuildHistoryEvent.parseDelimitedFrom(in))
                        : put(BuildHistoryRecord.parseDelimitedFrom(in))) {
                    messages++;
                }
            } catch (InvalidProtocolBufferException torn) {
                log.println("kiln daemon: warning: build history " + file + " ends in a torn entry after " + messages
                        + " whole ones (" + torn.getMessage() + "); keeping those");
                rewriteNeeded = true;
            }
        } catch (NoSuchFileException e) {
            return; // a daemon's first start
        } catch (IOException | RuntimeException e) {
            finished.clear();
            messages = 0;
            rewriteNeeded = true;
            log.println("kiln daemon: warning: build history " + file + " is unreadable (" + e.getMessage()
                    + "); starting with an empty history");
            return;
        }
        synchronized (this) {
            bound();
            if (rewriteNeeded || mostlySuperseded()) {
                rewrite();
            }
        }
    }

    /** One change read from the file; false at its end. */
    private boolean apply(BuildHistoryEvent event) {
        if (event == null) {
            return false;
        }
        BuildHistoryRecord record = event.getRecord();
        if (event.getType() == BuildHistoryEventType.DELETED) {
            finished.remove(record.getRef());
            return true;
        }
        BuildHistoryRecord before = finished.get(record.getRef());
        if (before != null && record.getGeneration() > before.getGeneration()) {
            finished.put(record.getRef(), record); // a pin: the record keeps its place
            return true;
        }
        return put(record);
    }

    /** A record read from the file, as the newest; false at its end. */
    private boolean put(BuildHistoryRecord record) {
        if (record == null) {
            return false;
        }
        finished.remove(record.getRef());
        finished.put(record.getRef(), record);
        return true;
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
        persist(publish(BuildHistoryEventType.COMPLETE, record));
        bound();
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
        persist(publish(BuildHistoryEventType.COMPLETE, updated));
        return Optional.of(updated);
    }

    /** Forgets a finished build's record; false when there is none. */
    synchronized boolean delete(String ref) {
        if (finished.remove(ref) == null) {
            return false;
        }
        persist(publishDeleted(ref));
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
        Instant oldest = clock.instant().minus(MAX_AGE);
        // the sort below only when some record is old enough to go: a history of builds from the last two days (a
        // busy daemon's) is then a scan per build, not a sort
        if (finished.size() <= MAX_ENTRIES
                || finished.values().stream()
                        .noneMatch(record ->
                                !record.getPinned() && completedAt(record).isBefore(oldest))) {
            return;
        }
        List<BuildHistoryRecord> unpinned = finished.values().stream()
                .filter(record -> !record.getPinned())
                .sorted(Comparator.comparing((BuildHistoryRecord record) -> completedAt(record))
                        .reversed())
                .toList();
        for (BuildHistoryRecord record : unpinned.subList(Math.min(MAX_ENTRIES, unpinned.size()), unpinned.size())) {
            if (completedAt(record).isBefore(oldest)) {
                finished.remove(record.getRef());
                persist(publishDeleted(record.getRef()));
            }
        }
    }

    private static Instant completedAt(BuildHistoryRecord record) {
        return WireTime.instant(record.getCompletedAt());
    }

    private BuildHistoryEvent publishDeleted(String ref) {
        return publish(
                BuildHistoryEventType.DELETED,
                BuildHistoryRecord.newBuilder().setRef(ref).build());
    }

    private BuildHistoryEvent publish(BuildHistoryEventType type, BuildHistoryRecord record) {
        BuildHistoryEvent event =
                BuildHistoryEvent.newBuilder().setType(type).setRecord(record).build();
        listeners.forEach(listener -> listener.events.add(event));
        return event;
    }

    /**
     * Appends a change to the file, or writes the file anew when it cannot take one or is mostly superseded. A failure
     * is logged; the records stay in memory, and the next change writes the file anew.
     */
    private void persist(BuildHistoryEvent change) {
        if (rewriteNeeded || mostlySuperseded()) {
            rewrite();
            return;
        }
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            change.writeDelimitedTo(out);
            Files.write(file, out.toByteArray(), StandardOpenOption.WRITE, StandardOpenOption.APPEND);
            messages++;
        } catch (NoSuchFileException gone) {
            rewrite(); // removed under the daemon: the records are all here
        } catch (IOException e) {
            rewriteNeeded = true; // part of the message may have gone in
            log.println("kiln daemon: warning: cannot write build history " + file + ": " + e.getMessage());
        }
    }

    private boolean mostlySuperseded() {
        return messages > 2 * finished.size() + REWRITE_SLACK;
    }

    /** Writes the finished records as the file's only messages, beside it, then over it. */
    private void rewrite() {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write(HEADER);
            for (BuildHistoryRecord record : finished.values()) {
                BuildHistoryEvent.newBuilder()
                        .setType(BuildHistoryEventType.COMPLETE)
                        .setRecord(record)
                        .build()
                        .writeDelimitedTo(out);
            }
            Files.createDirectories(file.getParent());
            Path next = file.resolveSibling(file.getFileName() + ".next");
            Files.write(next, out.toByteArray());
            Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            messages = finished.size();
            rewriteNeeded = false;
        } catch (IOException e) {
            rewriteNeeded = true;
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
