package dev.kiln.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A client on the daemon's own host, running as the daemon's own user, hands the daemon its directories and output
 * files by path instead of serving them through a session: the daemon reads the build context where it lies and
 * writes {@code dest=} itself. Such a client could read and write those files with the daemon's rights anyway, so
 * nothing is granted that it did not have; what it saves is the session's second gRPC connection and every byte of
 * the context crossing it, which is most of a cached build's time.
 *
 * <p>The grant is a file, {@code STATE/daemon/direct/SESSION}, that the client writes and the daemon reads once and
 * deletes when the Solve of that session arrives. Writing it proves the client's identity: the directory belongs to
 * the daemon's user and is closed to others, and the daemon accepts only a file owned by its own user. Each path
 * carries the identity (device and inode) of the directory it names as the client saw it, so a client in another
 * mount namespace that shares the state directory (a container with the state mounted) is refused rather than
 * served someone else's files of the same name; that client then falls back to a session.
 *
 * @param session the session id of the Solve that uses the grant
 * @param locals  the build's local directories by name (context, dockerfile, …), made absolute and normal
 * @param outputs the files or directories of file outputs by the exporter's index in the request, made absolute
 *                and normal: the spelling the daemon finds in the request's {@code dest}
 */
public record DirectAccess(String session, Map<String, Path> locals, Map<Integer, Path> outputs) {

    /** The description a daemon refuses a grant with; a client that reads it retries through a session. */
    public static final String REFUSED = "kiln-direct-access-refused";

    private static final String LOCAL = "local";
    private static final String OUTPUT = "output";

    public DirectAccess {
        if (!session.matches("[A-Za-z0-9._-]{1,128}")) {
            throw new IllegalArgumentException("not a session id: " + session);
        }
        locals = normal(locals);
        outputs = normal(outputs);
    }

    private static <K> Map<K, Path> normal(Map<K, Path> paths) {
        Map<K, Path> normal = new TreeMap<>();
        paths.forEach((key, path) -> normal.put(key, path.toAbsolutePath().normalize()));
        return Map.copyOf(normal);
    }

    /** Where grants wait for the daemon of {@code stateDir}. */
    public static Path directory(Path stateDir) {
        return stateDir.resolve("daemon").resolve("direct");
    }

    /**
     * Makes the grants' directory, closed to every other user, without the grants of clients that died before their
     * Solve arrived; the daemon does it when it starts, before it listens.
     */
    public static void reset(Path stateDir) throws IOException {
        Path dir = directory(stateDir);
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        try (var stale = Files.list(dir)) {
            for (Path grant : (Iterable<Path>) stale::iterator) {
                Files.deleteIfExists(grant);
            }
        }
    }

    /**
     * Deletes the grants written before {@code now - age}: their clients were killed between writing a grant and the
     * Solve that takes it (a client writes it just before that call), and nobody else would ever take them.
     */
    public static void forgetStale(Path stateDir, java.time.Duration age) throws IOException {
        java.nio.file.attribute.FileTime cutoff =
                java.nio.file.attribute.FileTime.from(java.time.Instant.now().minus(age));
        try (var grants = Files.list(directory(stateDir))) {
            for (Path grant : (Iterable<Path>) grants::iterator) {
                try {
                    if (Files.getLastModifiedTime(grant, LinkOption.NOFOLLOW_LINKS)
                                    .compareTo(cutoff)
                            < 0) {
                        Files.deleteIfExists(grant);
                    }
                } catch (NoSuchFileException taken) {
                    // its daemon took it meanwhile
                }
            }
        } catch (NoSuchFileException e) {
            // no grants directory: nothing was ever offered here
        }
    }

    /**
     * Writes the grant for the daemon of {@code stateDir}, or answers empty when this process may not: the daemon
     * runs as another user (or has not made the directory), and the client serves a session instead.
     */
    public Optional<Path> offer(Path stateDir) throws IOException {
        Path dir = directory(stateDir);
        if (!Files.isDirectory(dir) || !Files.isWritable(dir)) {
            return Optional.empty();
        }
        StringBuilder grant = new StringBuilder();
        locals.forEach((name, path) -> put(grant, LOCAL, name, path));
        outputs.forEach((index, path) -> put(grant, OUTPUT, index.toString(), path));
        Path file = dir.resolve(session);
        try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            out.write(grant.toString().getBytes(StandardCharsets.UTF_8));
        } catch (FileAlreadyExistsException e) {
            throw new IOException("a direct-access grant for session " + session + " exists already: " + file, e);
        } catch (java.nio.file.AccessDeniedException e) {
            return Optional.empty();
        }
        return Optional.of(file);
    }

    /**
     * The grant of {@code session}, read and deleted, or empty when its client wrote none (it serves a session).
     *
     * @throws SecurityException naming why the grant is refused: written by another user, or naming files that are
     *                           not the ones its client saw; the description starts with {@link #REFUSED}
     */
    public static Optional<DirectAccess> take(Path stateDir, String session) throws IOException {
        if (!session.matches("[A-Za-z0-9._-]{1,128}")) {
            return Optional.empty();
        }
        Path file = directory(stateDir).resolve(session);
        String[] fields;
        int owner;
        try {
            owner = (Integer) Files.getAttribute(file, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
                fields = new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\0", -1);
            }
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } finally {
            Files.deleteIfExists(file);
        }
        int self = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        if (owner != self) {
            throw new SecurityException(REFUSED + ": the grant of session " + session + " belongs to uid " + owner
                    + ", not to the daemon's uid " + self);
        }
        Map<String, Path> locals = new TreeMap<>();
        Map<Integer, Path> outputs = new TreeMap<>();
        if (fields.length % 4 != 1 || !fields[fields.length - 1].isEmpty()) {
            throw new SecurityException(REFUSED + ": the grant of session " + session + " is not one a client wrote");
        }
        for (int at = 0; at + 4 <= fields.length; at += 4) {
            Path path = checked(fields[at + 2], fields[at + 3]);
            switch (fields[at]) {
                case LOCAL -> locals.put(fields[at + 1], path);
                case OUTPUT -> outputs.put(index(session, fields[at + 1]), path);
                default ->
                    throw new SecurityException(
                            REFUSED + ": the grant of session " + session + " names a " + fields[at]);
            }
        }
        return Optional.of(new DirectAccess(session, locals, outputs));
    }

    private static int index(String session, String field) {
        try {
            return Integer.parseInt(field);
        } catch (NumberFormatException e) {
            throw new SecurityException(REFUSED + ": the grant of session " + session + " names output " + field);
        }
    }

    /**
     * One entry of a grant: its kind, name, path and the identity of the path's directory, each ended by a NUL (the
     * one character a path cannot hold). Not java.util.Properties: its date line alone cost a client 30 ms.
     */
    private static void put(StringBuilder grant, String kind, String name, Path path) {
        grant.append(kind)
                .append('\0')
                .append(name)
                .append('\0')
                .append(path)
                .append('\0')
                .append(identity(existingAncestor(path)))
                .append('\0');
    }

    /** The path, once the directory it names (or its nearest existing ancestor) is the one the client saw. */
    private static Path checked(String granted, String seen) {
        Path path = Path.of(granted);
        String here = identity(existingAncestor(path));
        if (!path.isAbsolute() || !seen.equals(here)) {
            throw new SecurityException(
                    REFUSED + ": " + path + " is not the file its client saw (another mount " + "namespace?)");
        }
        return path;
    }

    /** An output file need not exist yet, nor its directory: the exporter makes them. */
    private static Path existingAncestor(Path path) {
        Path at = path;
        while (at != null && !Files.exists(at, LinkOption.NOFOLLOW_LINKS)) {
            at = at.getParent();
        }
        return at == null ? path.getRoot() : at;
    }

    /** The device and inode of a file, as the JDK's file key spells them on Linux. */
    private static String identity(Path path) {
        try {
            Object key = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
                    .fileKey();
            return path + " " + key;
        } catch (IOException e) {
            return path + " missing";
        }
    }
}
