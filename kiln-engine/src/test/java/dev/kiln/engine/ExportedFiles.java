package dev.kiln.engine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/** What a user checks in an exported result: permission bits, owners, times, directory listings. */
final class ExportedFiles {

    private ExportedFiles() {}

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** Permission bits with setuid, setgid and sticky, of the path itself (a symlink is not followed). */
    static int mode(Path path) throws IOException {
        return (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
    }

    /** "uid:gid" of the path itself. */
    static String owner(Path path) throws IOException {
        return Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS) + ":"
                + Files.getAttribute(path, "unix:gid", LinkOption.NOFOLLOW_LINKS);
    }

    /** Where {@link EngineFixture#build(dev.kiln.llb.State)} puts the tar of the result it exports to {@code out}. */
    static Path tarBeside(Path out) {
        return out.resolveSibling(out.getFileName() + ".tar");
    }

    /**
     * "uid:gid" of {@code path} in the result exported to {@code out}, as the tar beside it has it: a local export
     * gives its files to the user running the build, a tar keeps the result's owners.
     */
    static String imageOwner(Path out, String path) throws IOException {
        try (TarArchiveInputStream tar = new TarArchiveInputStream(Files.newInputStream(tarBeside(out)))) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                String name = entry.getName();
                if (name.equals(path) || name.equals(path + "/")) {
                    return entry.getLongUserId() + ":" + entry.getLongGroupId();
                }
            }
        }
        throw new IOException(path + " is not in the result exported to " + out);
    }

    static Instant mtime(Path path) throws IOException {
        return ((FileTime) Files.getAttribute(path, "unix:lastModifiedTime", LinkOption.NOFOLLOW_LINKS)).toInstant();
    }

    /** Names in a directory, sorted. */
    static List<String> listing(Path dir) throws IOException {
        try (var list = Files.list(dir)) {
            return list.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
