package dev.kiln.api.session;

import dev.kiln.api.fsutil.Packet;
import dev.kiln.api.fsutil.Stat;
import dev.kiln.core.GoPath;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The receiving side of fsutil's file transfer (fsutil's receive.go and DiskWriter), over any packet stream;
 * see {@link FsSender} for the protocol.
 *
 * <p>Every path is checked before anything is written: it must be clean and relative, stay inside the target,
 * arrive in walk order, and have as parent a directory sent before it, so neither ".." nor a symlink sent
 * earlier can lead a write outside the target. Entries are written with lstat semantics (links are never
 * followed). Without {@code merge}, a target that holds an earlier transfer is updated incrementally: a
 * regular file whose type, mode, owner, size and mtime are unchanged keeps its content without a REQ, and
 * entries the sender no longer sends are removed. Directory modes and mtimes are applied last, once their
 * contents are written.
 */
final class FsReceiver {

    /** What a transfer did: entries received, files whose content was requested, content bytes received. */
    record Result(long entries, long files, long bytes) {}

    /** Owner to give every entry instead of the sender's (the client writing an export as itself). */
    record Owner(int uid, int gid) {}

    private record Parent(String dir, String last) {}

    private record Pending(Path path, Stat stat, FileChannel[] out) {}

    private final Wire<Packet, Packet> stream;
    private final Path dest;
    private final boolean merge;
    private final Owner owner;
    private final boolean untilEnd;
    private final List<Parent> parents = new ArrayList<>();
    private final Set<String> seenFiles = new HashSet<>();
    private final Set<String> received = new HashSet<>();
    private final Map<Integer, Pending> pending = new HashMap<>();
    private final List<Stat> dirs = new ArrayList<>();
    private int nextId;
    private boolean statsDone;
    private boolean finSent;
    private long files;
    private long bytes;

    private FsReceiver(Wire<Packet, Packet> stream, Path dest, boolean merge, Owner owner, boolean untilEnd) {
        this.stream = stream;
        this.dest = dest;
        this.merge = merge;
        this.owner = owner;
        this.untilEnd = untilEnd;
        parents.add(new Parent("", null));
    }

    /**
     * Receives into {@code dest} (which must exist). {@code untilEnd}: after the FIN exchange, read on until the
     * sender ends the stream (a client reading a server's stream); else return at the sender's FIN. A failure
     * here is sent to the sender as ERR and thrown.
     */
    static Result receive(Wire<Packet, Packet> stream, Path dest, boolean merge, Owner owner, boolean untilEnd)
            throws IOException, InterruptedException {
        FsReceiver r = new FsReceiver(stream, dest, merge, owner, untilEnd);
        try {
            r.run();
        } catch (FsSender.PeerError e) {
            throw new IOException(e.getMessage(), e.getCause());
        } catch (IOException | RuntimeException e) {
            FsSender.sendError(stream, e);
            throw e instanceof IOException io ? io : new IOException(e.getMessage(), e);
        } finally {
            r.closeAll();
        }
        return new Result(r.received.size(), r.files, r.bytes);
    }

    private void run() throws IOException, InterruptedException {
        while (true) {
            Packet p;
            try {
                p = stream.receive();
            } catch (IOException e) {
                throw new FsSender.PeerError(e.getMessage(), e);
            }
            if (p == null) {
                if (finSent) {
                    return;
                }
                throw new FsSender.PeerError("the sender ended the transfer before it finished", null);
            }
            switch (p.getType()) {
                case PACKET_ERR ->
                    throw new FsSender.PeerError(
                            "error from sender: " + p.getData().toStringUtf8(), null);
                case PACKET_STAT -> {
                    if (!p.hasStat()) {
                        endOfStats();
                    } else {
                        if (statsDone) {
                            throw new IOException("protocol error: STAT after the last STAT");
                        }
                        entry(p.getStat());
                    }
                }
                case PACKET_DATA -> data(p);
                case PACKET_FIN -> {
                    if (!finSent) {
                        throw new IOException("protocol error: the sender finished before the receiver");
                    }
                    if (!untilEnd) {
                        return;
                    }
                }
                case PACKET_REQ -> throw new IOException("protocol error: the sender sent a REQ");
                default -> {}
            }
        }
    }

    private void entry(Stat stat) throws IOException {
        int id = nextId++;
        String path = validate(stat);
        received.add(path);
        Path target = dest.resolve(path);
        Stat want = owner == null
                ? stat
                : stat.toBuilder().setUid(owner.uid()).setGid(owner.gid()).build();
        int mode = want.getMode();
        BasicFileAttributes existing = lstatOrNull(target);
        if (GoFileMode.isDir(mode)) {
            if (existing == null || !existing.isDirectory()) {
                removeIfPresent(target, existing);
                Files.createDirectory(target);
            }
            dirs.add(want);
            return;
        }
        if (GoFileMode.isSymlink(mode)) {
            if (existing != null
                    && existing.isSymbolicLink()
                    && Files.readSymbolicLink(target).toString().equals(want.getLinkname())) {
                applyMetadata(target, want, true);
                return;
            }
            Path tmp = temporarySibling(target);
            Files.createSymbolicLink(tmp, Path.of(want.getLinkname()));
            applyMetadata(tmp, want, true);
            replace(tmp, target, existing);
            return;
        }
        if (GoFileMode.isRegular(mode) && !want.getLinkname().isEmpty()) {
            String to = want.getLinkname();
            if (!seenFiles.contains(to)) {
                throw new IOException("invalid link " + quote(path) + " to unknown path: " + quote(to));
            }
            Path tmp = temporarySibling(target);
            Files.createLink(tmp, dest.resolve(to));
            replace(tmp, target, existing);
            return;
        }
        if (GoFileMode.isRegular(mode)) {
            seenFiles.add(path);
            if (!merge && existing != null && unchanged(target, existing, want)) {
                return;
            }
            Path tmp = temporarySibling(target);
            Files.createFile(tmp);
            replace(tmp, target, existing);
            pending.put(id, new Pending(target, want, new FileChannel[1]));
            files++;
            stream.sendNow(Packet.newBuilder()
                    .setType(Packet.PacketType.PACKET_REQ)
                    .setID(id)
                    .build());
            return;
        }
        throw new IOException("unsupported file type for " + quote(path) + " (device, pipe or socket)");
    }

    /** The checks of fsutil's Validator and more; returns the path. */
    private String validate(Stat stat) throws IOException {
        String p = stat.getPath();
        if (p.isEmpty() || p.indexOf('\0') >= 0) {
            throw new IOException("invalid path " + quote(p) + " from the sender");
        }
        if (p.startsWith("/")) {
            throw new IOException("refusing absolute path " + quote(p) + " from the sender");
        }
        if (p.equals("..") || p.startsWith("../")) {
            throw new IOException("refusing path " + quote(p) + " from the sender: it escapes the target directory");
        }
        if (!GoPath.clean(p).equals(p)) {
            throw new IOException("refusing unclean path " + quote(p) + " from the sender");
        }
        int slash = p.lastIndexOf('/');
        String dir = slash < 0 ? "" : p.substring(0, slash);
        String base = p.substring(slash + 1);
        int i = parents.size() - 1;
        while (i > 0 && !parents.get(i).dir().equals(dir)) {
            i--;
        }
        if (!parents.get(i).dir().equals(dir)) {
            throw new IOException("refusing path " + quote(p) + " from the sender: its parent " + quote(dir)
                    + " was not sent as a directory before it (out of order, or through a symlink)");
        }
        String last = parents.get(i).last();
        if (last != null && GoFileMode.compareNames(last, base) >= 0) {
            throw new IOException("changes out of order: " + quote(p) + " after " + quote(GoPath.append(dir, last)));
        }
        parents.subList(i + 1, parents.size()).clear();
        parents.set(i, new Parent(dir, base));
        if (GoFileMode.isDir(stat.getMode())) {
            parents.add(new Parent(p, null));
        }
        // Defense in depth: on disk, every parent must be a real directory (never a symlink).
        Path parent = dest;
        if (!dir.isEmpty()) {
            for (String element : dir.split("/")) {
                parent = parent.resolve(element);
            }
            if (!Files.isDirectory(parent, LinkOption.NOFOLLOW_LINKS)) {
                throw new IOException(
                        "refusing path " + quote(p) + " from the sender: " + quote(dir) + " is not a directory");
            }
        }
        return p;
    }

    private boolean unchanged(Path target, BasicFileAttributes existing, Stat want) throws IOException {
        if (!existing.isRegularFile()) {
            return false;
        }
        GoFileMode.LocalStat have = GoFileMode.lstat(target, want.getPath());
        Stat s = have.stat();
        // A kept file may share its inode with another kept path; that is harmless since new content always
        // goes to a new inode.
        return s.getSize() == want.getSize()
                && s.getModTime() == want.getModTime()
                && s.getMode() == want.getMode()
                && s.getUid() == want.getUid()
                && s.getGid() == want.getGid();
    }

    private void data(Packet p) throws IOException {
        Pending file = pending.get(p.getID());
        if (file == null) {
            throw new IOException("invalid file request " + p.getID());
        }
        if (p.getData().isEmpty()) {
            pending.remove(p.getID());
            if (file.out()[0] != null) {
                file.out()[0].close();
            }
            applyMetadata(file.path(), file.stat(), false);
            maybeFinish();
            return;
        }
        if (file.out()[0] == null) {
            file.out()[0] = FileChannel.open(file.path(), StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
        }
        ByteBuffer buf = p.getData().asReadOnlyByteBuffer();
        while (buf.hasRemaining()) {
            file.out()[0].write(buf);
        }
        bytes += p.getData().size();
    }

    private void endOfStats() throws IOException {
        statsDone = true;
        if (!merge) {
            removeUnreceived();
        }
        maybeFinish();
    }

    private void maybeFinish() throws IOException {
        if (!statsDone || !pending.isEmpty() || finSent) {
            return;
        }
        for (Stat dir : dirs.reversed()) {
            applyMetadata(dest.resolve(dir.getPath()), dir, false);
        }
        finSent = true;
        stream.sendNow(Packet.newBuilder().setType(Packet.PacketType.PACKET_FIN).build());
    }

    /** Owner, mode (not for symlinks) and mtime, in that order so chown does not clear setuid bits. */
    private static void applyMetadata(Path p, Stat stat, boolean symlink) throws IOException {
        Files.setAttribute(p, "unix:uid", stat.getUid(), LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(p, "unix:gid", stat.getGid(), LinkOption.NOFOLLOW_LINKS);
        if (!symlink) {
            Files.setAttribute(p, "unix:mode", GoFileMode.unixPermissions(stat.getMode()), LinkOption.NOFOLLOW_LINKS);
        }
        Files.getFileAttributeView(p, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                .setTimes(GoFileMode.time(stat.getModTime()), null, null);
    }

    /** Deletes what the target holds and the sender did not send. */
    private void removeUnreceived() throws IOException {
        Files.walkFileTree(dest, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                if (dir.equals(dest)) {
                    return FileVisitResult.CONTINUE;
                }
                if (!received.contains(relative(dir))) {
                    dev.kiln.core.Trees.deleteRecursively(dir);
                    return FileVisitResult.SKIP_SUBTREE;
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                if (!received.contains(relative(file))) {
                    Files.deleteIfExists(file);
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private String relative(Path p) {
        return dest.relativize(p).toString();
    }

    private static void removeIfPresent(Path target, BasicFileAttributes existing) throws IOException {
        if (existing == null) {
            return;
        }
        if (existing.isDirectory()) {
            dev.kiln.core.Trees.deleteRecursively(target);
        } else {
            Files.deleteIfExists(target);
        }
    }

    /** Puts {@code tmp} in place of {@code target}, which may be absent or (then removed first) a directory. */
    private static void replace(Path tmp, Path target, BasicFileAttributes existing) throws IOException {
        if (existing != null && existing.isDirectory()) {
            dev.kiln.core.Trees.deleteRecursively(target);
        }
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static Path temporarySibling(Path target) {
        return target.resolveSibling(
                ".tmp.kiln-" + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36));
    }

    private static BasicFileAttributes lstatOrNull(Path p) throws IOException {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    private void closeAll() {
        for (Pending p : pending.values()) {
            if (p.out()[0] != null) {
                try {
                    p.out()[0].close();
                } catch (IOException ignored) {
                    // Failing already; the transfer's error is what matters.
                }
            }
        }
        pending.clear();
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
