package dev.kiln.worker.fs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The entries of a {@link ChecksumIndex} (a file's path, its stat key and its content digest) in a few flat arrays
 * instead of an object graph: a daemon holds one entry for every file of the contexts and layers it checksummed
 * (40,000 for issue 13's W3), and as a map of path strings to records they took some 270 bytes each, 10.7 MB that
 * stayed live across builds and counted twice in the daemon's peak (W6). Here an entry is its file name's bytes, its
 * directory's number (a directory's path, up to its last slash, is kept once), four longs of key and 32 bytes of
 * digest: about 110 bytes.
 *
 * <p>Entries sit in insertion order in parallel arrays; an open-addressing table of their positions finds them by
 * path. Removing one moves the last entry into its place. All methods hold the table's own lock (a caller that holds
 * it too sees no change between its calls): a lookup is a hash and a few comparisons, far shorter than the file reads
 * the index saves.
 */
final class ChecksumTable {

    static final int DIGEST_LENGTH = 32;
    private static final int KEY_LONGS = 4;
    private static final int INITIAL_ENTRIES = 64;

    /** One entry as {@link #forEach} hands it out. */
    interface EntryVisitor {
        void visit(String path, long size, long modified, long inode, long changed, byte[] digest) throws IOException;
    }

    private final Map<String, Integer> directoryNumbers = new HashMap<>();
    private final List<String> directories = new ArrayList<>();

    private int count;
    private int[] directoryOf = new int[INITIAL_ENTRIES];
    private byte[][] nameOf = new byte[INITIAL_ENTRIES][];
    private int[] hashOf = new int[INITIAL_ENTRIES];
    private long[] keys = new long[INITIAL_ENTRIES * KEY_LONGS];
    private byte[] digests = new byte[INITIAL_ENTRIES * DIGEST_LENGTH];
    /** Entry position + 1 per slot, 0 for a free slot; a power of two of them, at most two thirds in use. */
    private int[] slots = new int[INITIAL_ENTRIES * 2];

    synchronized int size() {
        return count;
    }

    /**
     * The digest stored for {@code path} if its key is exactly the one given (a copy); null when there is no entry
     * or its key differs.
     */
    synchronized byte[] digestIfSame(String path, long size, long modified, long inode, long changed) {
        int entry = find(path);
        if (entry < 0) {
            return null;
        }
        int k = entry * KEY_LONGS;
        if (keys[k] != size || keys[k + 1] != modified || keys[k + 2] != inode || keys[k + 3] != changed) {
            return null;
        }
        return Arrays.copyOfRange(digests, entry * DIGEST_LENGTH, (entry + 1) * DIGEST_LENGTH);
    }

    /** Stores {@code digest} (32 bytes) under {@code path} with its key, replacing what the path held. */
    synchronized void put(String path, long size, long modified, long inode, long changed, byte[] digest) {
        if (digest.length != DIGEST_LENGTH) {
            throw new IllegalArgumentException("a content digest has 32 bytes, not " + digest.length);
        }
        int entry = find(path);
        if (entry < 0) {
            entry = append(path);
        }
        int k = entry * KEY_LONGS;
        keys[k] = size;
        keys[k + 1] = modified;
        keys[k + 2] = inode;
        keys[k + 3] = changed;
        System.arraycopy(digest, 0, digests, entry * DIGEST_LENGTH, DIGEST_LENGTH);
    }

    /** Removes the entry of {@code path}; whether there was one. */
    synchronized boolean remove(String path) {
        int entry = find(path);
        if (entry < 0) {
            return false;
        }
        removeAt(entry);
        return true;
    }

    /** Removes the entries of {@code prefix} and of every path under it; whether there were any. */
    synchronized boolean removeUnder(String prefix) {
        boolean removed = false;
        for (int entry = count - 1; entry >= 0; entry--) {
            String path = pathOf(entry);
            if (path.equals(prefix) || path.startsWith(prefix + "/")) {
                removeAt(entry);
                removed = true;
            }
        }
        return removed;
    }

    /** Hands every entry to {@code visitor}, under the table's lock (the digest array is the visitor's). */
    synchronized void forEach(EntryVisitor visitor) throws IOException {
        for (int entry = 0; entry < count; entry++) {
            int k = entry * KEY_LONGS;
            visitor.visit(
                    pathOf(entry),
                    keys[k],
                    keys[k + 1],
                    keys[k + 2],
                    keys[k + 3],
                    Arrays.copyOfRange(digests, entry * DIGEST_LENGTH, (entry + 1) * DIGEST_LENGTH));
        }
    }

    private String pathOf(int entry) {
        return directories.get(directoryOf[entry]) + new String(nameOf[entry], StandardCharsets.UTF_8);
    }

    /** The entry position of {@code path}, or -1. */
    private int find(String path) {
        int slash = path.lastIndexOf('/');
        Integer dir = directoryNumbers.get(path.substring(0, slash + 1));
        if (dir == null) {
            return -1;
        }
        byte[] name = path.substring(slash + 1).getBytes(StandardCharsets.UTF_8);
        int hash = hash(dir, name);
        int mask = slots.length - 1;
        for (int slot = hash & mask; ; slot = (slot + 1) & mask) {
            int held = slots[slot] - 1;
            if (held < 0) {
                return -1;
            }
            if (hashOf[held] == hash && directoryOf[held] == dir && Arrays.equals(nameOf[held], name)) {
                return held;
            }
        }
    }

    /** A new entry for {@code path} (which has none), its key and digest still to be written. */
    private int append(String path) {
        int slash = path.lastIndexOf('/');
        String dirPath = path.substring(0, slash + 1);
        int dir = directoryNumbers.computeIfAbsent(dirPath, d -> {
            directories.add(d);
            return directories.size() - 1;
        });
        byte[] name = path.substring(slash + 1).getBytes(StandardCharsets.UTF_8);
        if (count == directoryOf.length) {
            grow();
        }
        int entry = count++;
        directoryOf[entry] = dir;
        nameOf[entry] = name;
        hashOf[entry] = hash(dir, name);
        if (count * 3 > slots.length * 2) {
            rehash(slots.length * 2);
        } else {
            slots[freeSlot(hashOf[entry])] = entry + 1;
        }
        return entry;
    }

    private void removeAt(int entry) {
        int slot = slotOf(entry);
        clearSlot(slot);
        int last = count - 1;
        if (entry != last) {
            slots[slotOf(last)] = entry + 1;
            directoryOf[entry] = directoryOf[last];
            nameOf[entry] = nameOf[last];
            hashOf[entry] = hashOf[last];
            System.arraycopy(keys, last * KEY_LONGS, keys, entry * KEY_LONGS, KEY_LONGS);
            System.arraycopy(digests, last * DIGEST_LENGTH, digests, entry * DIGEST_LENGTH, DIGEST_LENGTH);
        }
        nameOf[last] = null;
        count = last;
    }

    /** The slot that holds {@code entry}, which is in the table. */
    private int slotOf(int entry) {
        int mask = slots.length - 1;
        for (int slot = hashOf[entry] & mask; ; slot = (slot + 1) & mask) {
            if (slots[slot] == entry + 1) {
                return slot;
            }
        }
    }

    /**
     * Frees {@code slot} and moves later entries of its run back over the gap where their probe allows, so that no
     * lookup stops early at the freed slot (deletion without tombstones for linear probing).
     */
    private void clearSlot(int slot) {
        int mask = slots.length - 1;
        int gap = slot;
        for (int next = (gap + 1) & mask; slots[next] != 0; next = (next + 1) & mask) {
            int home = hashOf[slots[next] - 1] & mask;
            // the entry at next may move to gap when gap lies cyclically between its home slot and next
            boolean movable = gap <= next ? (home <= gap || home > next) : (home <= gap && home > next);
            if (movable) {
                slots[gap] = slots[next];
                gap = next;
            }
        }
        slots[gap] = 0;
    }

    private int freeSlot(int hash) {
        int mask = slots.length - 1;
        int slot = hash & mask;
        while (slots[slot] != 0) {
            slot = (slot + 1) & mask;
        }
        return slot;
    }

    /** By half again: the entries of a daemon's contexts stay for its life, and doubling left up to half unused. */
    private void grow() {
        int capacity = directoryOf.length + (directoryOf.length >> 1);
        directoryOf = Arrays.copyOf(directoryOf, capacity);
        nameOf = Arrays.copyOf(nameOf, capacity);
        hashOf = Arrays.copyOf(hashOf, capacity);
        keys = Arrays.copyOf(keys, capacity * KEY_LONGS);
        digests = Arrays.copyOf(digests, capacity * DIGEST_LENGTH);
    }

    private void rehash(int slotCount) {
        slots = new int[slotCount];
        for (int entry = 0; entry < count; entry++) {
            slots[freeSlot(hashOf[entry])] = entry + 1;
        }
    }

    /** Spreads the bits (the table's mask keeps only the low ones). */
    private static int hash(int dir, byte[] name) {
        int h = dir * 0x9E3779B9 + Arrays.hashCode(name);
        return h ^ (h >>> 16);
    }
}
