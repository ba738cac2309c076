package dev.kiln.api.session;

import com.google.protobuf.ByteString;
import dev.kiln.api.fsutil.Packet;
import dev.kiln.api.fsutil.Stat;
import dev.kiln.core.FollowPaths;
import dev.kiln.core.PathPatterns;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The sending side of fsutil's file transfer (fsutil's send.go), over any packet stream.
 *
 * <p>The sender walks the tree (names sorted by bytes, a directory before its contents, the root itself not
 * sent) and sends one STAT per entry, then an empty STAT. An entry's id is its index in that sequence. The
 * receiver asks for the content of regular files with REQ id; the sender answers with DATA packets of up to 32
 * KiB and an empty DATA. When the receiver has everything it sends FIN, and the sender answers FIN. Either side
 * reports a failure with ERR. A second path of a hard-linked inode is sent with linkname set to the first.
 *
 * <p>Three threads share the stream: this one walks, a reader takes REQ/FIN/ERR, a writer sends file data; the
 * first failure stops all three.
 */
final class FsSender {

    static final int CHUNK = 32 * 1024;
    private static final int NO_MORE = -1;

    private final Wire<Packet, Packet> stream;
    private final Path root;
    private final PathPatterns include;
    private final PathPatterns exclude;
    private final Map<Integer, Path> files = new ConcurrentHashMap<>();
    private final LinkedBlockingQueue<Integer> requests = new LinkedBlockingQueue<>();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final List<Thread> threads = new ArrayList<>();
    private final Map<String, String> firstPathOfInode = new HashMap<>();
    private int nextId;

    private FsSender(Wire<Packet, Packet> stream, Path root, PathPatterns include, PathPatterns exclude) {
        this.stream = stream;
        this.root = root;
        this.include = include;
        this.exclude = exclude;
    }

    /**
     * Sends {@code root} filtered by {@code filter} and returns once the receiver has finished (FIN exchanged).
     * A failure here is sent to the receiver as ERR and thrown.
     */
    static void send(Wire<Packet, Packet> stream, Path root, FileFilter filter)
            throws IOException, InterruptedException {
        PathPatterns include;
        PathPatterns exclude;
        try {
            List<String> includes = new ArrayList<>(filter.includePatterns());
            if (!filter.followPaths().isEmpty()) {
                List<String> followed = FollowPaths.resolve(root, filter.followPaths());
                // fsutil adds the follow paths to the include patterns; an empty result means "everything".
                if (!followed.isEmpty()) {
                    includes.addAll(followed);
                }
            }
            include = PathPatterns.compile(includes);
            exclude = PathPatterns.compile(filter.excludePatterns());
            if (!Files.isDirectory(root)) {
                throw new NoSuchFileException(root.toString(), null, "not a directory");
            }
        } catch (IOException | IllegalArgumentException e) {
            sendError(stream, e);
            throw e instanceof IOException io ? io : new IOException(e.getMessage(), e);
        }
        new FsSender(stream, root, include, exclude).run();
    }

    private void run() throws IOException, InterruptedException {
        Thread walker = Thread.currentThread();
        threads.add(walker);
        Thread reader = Thread.ofVirtual().name("fsutil-send-reader").unstarted(() -> guard(this::readRequests));
        Thread writer = Thread.ofVirtual().name("fsutil-send-data").unstarted(() -> guard(this::sendData));
        threads.add(reader);
        threads.add(writer);
        reader.start();
        writer.start();
        try {
            walk(root, "", PathPatterns.Match.TOP, PathPatterns.Match.TOP, new ArrayDeque<>());
            stream.send(
                    Packet.newBuilder().setType(Packet.PacketType.PACKET_STAT).build());
            writer.join();
            reader.join();
        } catch (Throwable e) {
            fail(e);
        } finally {
            // Whatever happened, no thread of this transfer outlives it.
            Thread.interrupted();
            reader.interrupt();
            writer.interrupt();
            joinUninterruptibly(reader);
            joinUninterruptibly(writer);
        }
        Throwable e = failure.get();
        if (e != null) {
            if (e instanceof InterruptedException) {
                throw new IOException("the transfer was cancelled", e);
            }
            if (!(e instanceof PeerError)) {
                sendError(stream, e);
            }
            throw e instanceof IOException io ? io : new IOException(String.valueOf(e.getMessage()), e);
        }
        stream.send(Packet.newBuilder().setType(Packet.PacketType.PACKET_FIN).build());
    }

    static void joinUninterruptibly(Thread t) {
        boolean interrupted = false;
        while (true) {
            try {
                t.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** An error the receiver reported (ERR) or a broken stream: nothing to tell the receiver. */
    static final class PeerError extends IOException {
        PeerError(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private interface Step {
        void run() throws Exception;
    }

    private void guard(Step step) {
        try {
            step.run();
        } catch (Throwable e) {
            fail(e);
        }
    }

    private void fail(Throwable e) {
        if (e instanceof InterruptedException && failure.get() != null) {
            return;
        }
        if (failure.compareAndSet(null, e)) {
            for (Thread t : threads) {
                if (t != Thread.currentThread()) {
                    t.interrupt();
                }
            }
        }
    }

    private void readRequests() throws IOException, InterruptedException {
        try {
            while (true) {
                Packet p;
                try {
                    p = stream.receive();
                } catch (IOException e) {
                    throw new PeerError(e.getMessage(), e);
                }
                if (p == null) {
                    throw new PeerError("the receiver ended the transfer before it finished", null);
                }
                switch (p.getType()) {
                    case PACKET_ERR ->
                        throw new PeerError(
                                "error from receiver: " + p.getData().toStringUtf8(), null);
                    case PACKET_REQ -> {
                        if (!files.containsKey(p.getID())) {
                            throw new IOException("invalid file id " + p.getID());
                        }
                        requests.put(p.getID());
                    }
                    case PACKET_FIN -> {
                        return;
                    }
                    default -> {}
                }
            }
        } finally {
            requests.put(NO_MORE);
        }
    }

    private void sendData() throws IOException, InterruptedException {
        byte[] buf = new byte[CHUNK];
        while (true) {
            int id = requests.take();
            if (id == NO_MORE) {
                return;
            }
            Path file = files.remove(id);
            if (file == null) {
                throw new IOException("invalid file id " + id);
            }
            try (InputStream in = open(file)) {
                int n;
                while ((n = in.readNBytes(buf, 0, CHUNK)) > 0) {
                    stream.send(Packet.newBuilder()
                            .setType(Packet.PacketType.PACKET_DATA)
                            .setID(id)
                            .setData(ByteString.copyFrom(buf, 0, n))
                            .build());
                }
            }
            stream.send(Packet.newBuilder()
                    .setType(Packet.PacketType.PACKET_DATA)
                    .setID(id)
                    .build());
        }
    }

    private static InputStream open(Path file) throws IOException {
        try {
            return Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            // Like fsutil: a file removed since its STAT arrives empty rather than failing the transfer.
            return InputStream.nullInputStream();
        }
    }

    /**
     * Sends the entries under {@code dir} that pass the filters. A directory that does not pass itself is held
     * in {@code pending} and sent only before the first entry under it that does, as fsutil's filter does.
     */
    private void walk(
            Path dir,
            String relDir,
            PathPatterns.Match parentInclude,
            PathPatterns.Match parentExclude,
            Deque<Stat> pending)
            throws IOException, InterruptedException {
        for (String name : sortedNames(dir)) {
            String rel = relDir.isEmpty() ? name : relDir + "/" + name;
            Path child = dir.resolve(name);
            PathPatterns.Match inc = include.isEmpty() ? null : include.match(rel, parentInclude);
            PathPatterns.Match exc = exclude.isEmpty() ? null : exclude.match(rel, parentExclude);
            boolean included = (inc == null || inc.matched()) && (exc == null || !exc.matched());
            GoFileMode.LocalStat local;
            try {
                local = GoFileMode.lstat(child, rel);
            } catch (NoSuchFileException e) {
                continue;
            }
            Stat stat = local.stat();
            if (!GoFileMode.isDir(stat.getMode())) {
                if (included) {
                    flushPending(pending);
                    sendStat(child, local);
                }
                continue;
            }
            if (exc != null && exc.matched() && exclude.matchesAllUnder(rel)) {
                continue;
            }
            if (inc != null && !inc.matched() && !include.mayMatchUnder(rel)) {
                continue;
            }
            if (included) {
                flushPending(pending);
                sendStat(child, local);
            } else {
                pending.addLast(stat);
            }
            walk(
                    child,
                    rel,
                    inc == null ? PathPatterns.Match.TOP : inc,
                    exc == null ? PathPatterns.Match.TOP : exc,
                    pending);
            if (!included && !pending.isEmpty() && pending.peekLast() == stat) {
                pending.removeLast();
            }
        }
    }

    private void flushPending(Deque<Stat> pending) throws IOException, InterruptedException {
        while (!pending.isEmpty()) {
            sendPacket(pending.removeFirst());
        }
    }

    private void sendStat(Path file, GoFileMode.LocalStat local) throws IOException, InterruptedException {
        Stat stat = local.stat();
        if (GoFileMode.isRegular(stat.getMode()) && local.nlink() > 1) {
            String key = local.device() + ":" + local.inode();
            String first = firstPathOfInode.putIfAbsent(key, stat.getPath());
            if (first != null) {
                stat = stat.toBuilder().setLinkname(first).setSize(0).build();
            }
        }
        if (GoFileMode.isRegular(stat.getMode())) {
            files.put(nextId, file);
        }
        sendPacket(stat);
    }

    private void sendPacket(Stat stat) throws IOException, InterruptedException {
        nextId++;
        stream.send(Packet.newBuilder()
                .setType(Packet.PacketType.PACKET_STAT)
                .setStat(stat)
                .build());
    }

    private static List<String> sortedNames(Path dir) throws IOException {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path p : entries) {
                names.add(p.getFileName().toString());
            }
        } catch (NoSuchFileException e) {
            return List.of();
        }
        names.sort(GoFileMode::compareNames);
        return names;
    }

    /** Tells the receiver why the transfer failed (best effort: the stream may be gone). */
    static void sendError(Wire<Packet, Packet> stream, Throwable e) {
        try {
            stream.sendNow(Packet.newBuilder()
                    .setType(Packet.PacketType.PACKET_ERR)
                    .setData(ByteString.copyFromUtf8(String.valueOf(e.getMessage())))
                    .build());
        } catch (IOException | RuntimeException ignored) {
            // The stream is already broken; the caller reports the error locally.
        }
    }
}
