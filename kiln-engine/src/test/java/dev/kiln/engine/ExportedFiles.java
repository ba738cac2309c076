package dev.kiln.engine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;

/** What a user checks in an exported result: permission bits, owners, times, directory listings. */
final class ExportedFiles {

    private ExportedFiles() {
    }

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
