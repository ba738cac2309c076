package dev.kiln.worker;

import dev.kiln.worker.snapshot.Snapshotter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * When each stored thing (a snapshot by id, a cache mount by key) was made and last used, how often it was used,
 * and what it is; and which of them the builds running now may hold.
 *
 * <p>What a build holds is not tracked per build: results pass between concurrent builds through the solver, and a
 * snapshot is loaded without saying for whom. Instead, a busy period starts when a build begins while none runs and
 * ends when the last one ends; everything made or loaded during the current busy period counts as in use. Every
 * snapshot a running build holds was made or loaded since the busy period began, so this is never too little.
 *
 * <p>Removal and use exclude each other through {@link #claim}: a claimed id is one no build used in the busy
 * period, and a load of it finds nothing until the removal is done, so a build never gets a snapshot that is being
 * deleted (it runs the step again instead).
 *
 * <p>The facts are kept in one text file, saved at the end of each build rather than at each use, so that a cached
 * rebuild does not pay a disk write per step; a crash loses only last-used times.
 */
public final class UsageLedger implements Snapshotter.Uses {

    /** What is known of one stored thing; {@code type} and {@code description} are empty when nobody said. */
    public record Entry(Instant created, Instant lastUsed, long usageCount, String type, String description) {}

    private static final String HEADER = "kiln-usage 1";

    private final Path file;
    private final Object lock = new Object();
    /** Held for a whole save, so that saves write one after another. */
    private final Object saving = new Object();
    // all guarded by lock
    private final Map<String, Entry> entries = new HashMap<>();
    private final Map<String, Long> lastTouch = new HashMap<>();
    private final Set<String> claimed = new HashSet<>();
    private final Set<String> builds = new HashSet<>();
    private long clock;
    private long busySince = Long.MAX_VALUE;
    private boolean dirty;

    UsageLedger(Path file) throws IOException {
        this.file = file;
        load();
    }

    /** A build begins: from now until it ends, what it makes or loads is in use. */
    public void beginBuild(String buildId) {
        synchronized (lock) {
            if (builds.isEmpty()) {
                busySince = ++clock;
            }
            builds.add(buildId);
        }
    }

    /** Work done while no build runs. */
    @FunctionalInterface
    public interface IdleWork<T> {
        T run() throws IOException;
    }

    /** Runs {@code work} if no build is running, and keeps any from beginning until it is done; empty otherwise. */
    public <T> Optional<T> whileIdle(IdleWork<T> work) throws IOException {
        synchronized (lock) {
            return builds.isEmpty() ? Optional.of(work.run()) : Optional.empty();
        }
    }

    /** A build ended; when it was the last one running, nothing is in use any more. Unknown ids are ignored. */
    public void endBuild(String buildId) {
        synchronized (lock) {
            if (builds.remove(buildId) && builds.isEmpty()) {
                busySince = Long.MAX_VALUE;
                lastTouch.clear();
            }
        }
    }

    @Override
    public boolean loading(String id) {
        return use(id);
    }

    @Override
    public void recorded(String id) {
        Instant now = Instant.now();
        synchronized (lock) {
            touch(id);
            entries.put(id, new Entry(now, now, 1, "", ""));
            dirty = true;
        }
    }

    /** Notes a use of {@code id} now; false when it is claimed for removal and must be treated as gone. */
    public boolean use(String id) {
        Instant now = Instant.now();
        synchronized (lock) {
            if (claimed.contains(id)) {
                return false;
            }
            touch(id);
            // no entry is made here: the id may name nothing (a pointer left by a removed snapshot)
            Entry known = entries.get(id);
            if (known != null) {
                entries.put(
                        id, new Entry(known.created(), now, known.usageCount() + 1, known.type(), known.description()));
                dirty = true;
            }
            return true;
        }
    }

    /** Remembers the use for the busy period; outside one there is nothing to protect. Caller holds lock. */
    private void touch(String id) {
        if (!builds.isEmpty()) {
            lastTouch.put(id, ++clock);
        }
    }

    /** Says what {@code id} is, for listings (BuildKit's record type and description). */
    public void describe(String id, String type, String description) {
        Instant now = Instant.now();
        synchronized (lock) {
            Entry known = entries.get(id);
            entries.put(
                    id,
                    known == null
                            ? new Entry(now, now, 1, type, description)
                            : new Entry(known.created(), known.lastUsed(), known.usageCount(), type, description));
            dirty = true;
        }
    }

    /** The facts of {@code id}, which exists, starting them from its creation time when there are none yet. */
    public Entry adopt(String id, Instant created) {
        synchronized (lock) {
            Entry known = entries.get(id);
            if (known == null) {
                known = new Entry(created, created, 0, "", "");
                entries.put(id, known);
                dirty = true;
            }
            return known;
        }
    }

    public Optional<Entry> entry(String id) {
        synchronized (lock) {
            return Optional.ofNullable(entries.get(id));
        }
    }

    /** Whether a running build made or loaded {@code id}. */
    public boolean inUse(String id) {
        synchronized (lock) {
            return lastTouch.getOrDefault(id, -1L) >= busySince;
        }
    }

    /**
     * Reserves {@code id} for removal unless a running build used it. Until {@link #release} the id cannot be
     * loaded. Returns whether it was claimed.
     */
    public boolean claim(String id) {
        synchronized (lock) {
            if (lastTouch.getOrDefault(id, -1L) >= busySince || claimed.contains(id)) {
                return false;
            }
            claimed.add(id);
            return true;
        }
    }

    /** Ends a claim; when {@code removed}, the id's facts are forgotten. */
    public void release(String id, boolean removed) {
        synchronized (lock) {
            claimed.remove(id);
            if (removed && entries.remove(id) != null) {
                dirty = true;
            }
        }
    }

    /**
     * Writes the facts if they changed since the last save. Saves run one at a time (a build's, in the background,
     * and a prune's may meet), so the last file written holds the newest facts.
     */
    public void save() throws IOException {
        synchronized (saving) {
            saveNow();
        }
    }

    private void saveNow() throws IOException {
        String text;
        synchronized (lock) {
            if (!dirty) {
                return;
            }
            StringBuilder out = new StringBuilder(HEADER).append('\n');
            entries.forEach((id, e) -> out.append(String.join(
                            "\t",
                            id,
                            String.valueOf(e.created()),
                            String.valueOf(e.lastUsed()),
                            String.valueOf(e.usageCount()),
                            oneLine(e.type()),
                            oneLine(e.description())))
                    .append('\n'));
            text = out.toString();
            dirty = false;
        }
        try {
            AtomicWrite.write(file, text.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            synchronized (lock) {
                dirty = true;
            }
            throw e;
        }
    }

    private static String oneLine(String text) {
        return text.replace('\t', ' ').replace('\n', ' ').replace('\r', ' ');
    }

    /** Reads the saved facts; a damaged line is skipped (it costs a listing its times, nothing else). */
    private void load() throws IOException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return;
        }
        String[] lines = text.split("\n");
        if (lines.length == 0 || !lines[0].equals(HEADER)) {
            return;
        }
        for (int i = 1; i < lines.length; i++) {
            String[] fields = lines[i].split("\t", -1);
            if (fields.length != 6) {
                continue;
            }
            try {
                entries.put(
                        fields[0],
                        new Entry(
                                Instant.parse(fields[1]),
                                Instant.parse(fields[2]),
                                Long.parseLong(fields[3]),
                                fields[4],
                                fields[5]));
            } catch (RuntimeException damaged) {
                // skipped, see above
            }
        }
    }
}
