package dev.kiln.worker.runtime;

import dev.kiln.core.sys.PosixFiles;
import dev.kiln.worker.fs.ScopedRoot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The runtime creates a file or directory in the rootfs for every mount destination that is missing there
 * (/proc, /etc/hosts, a bind target, ...). Left behind, these stubs would show up in the committed layer as if
 * the build step had made them, so they are removed after the run and their parents' times are put back, as
 * BuildKit does.
 */
final class MountStubs {
    private record Stub(Path path, Path parent, FileTime parentAccessed, FileTime parentModified) {}

    private final List<Stub> stubs;

    private MountStubs(List<Stub> stubs) {
        this.stubs = stubs;
    }

    static MountStubs find(Path rootfs, List<String> destinations) throws IOException {
        List<Stub> stubs = new ArrayList<>();
        for (String destination : destinations) {
            Path target = new ScopedRoot(rootfs).resolve(destination);
            Path missing = null;
            for (Path p = target; p.startsWith(rootfs) && !p.equals(rootfs); p = p.getParent()) {
                if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                    missing = p;
                }
            }
            Path stub = missing;
            if (stub != null && stubs.stream().noneMatch(known -> known.path().equals(stub))) {
                BasicFileAttributes parent =
                        Files.readAttributes(stub.getParent(), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                stubs.add(new Stub(stub, stub.getParent(), parent.lastAccessTime(), parent.lastModifiedTime()));
            }
        }
        return new MountStubs(stubs);
    }

    /** Removes the stubs that are still empty; anything a process put there stays. */
    void remove() throws IOException {
        for (Stub stub : stubs.reversed()) {
            if (Files.exists(stub.path(), LinkOption.NOFOLLOW_LINKS) && isEmptyStub(stub.path())) {
                deleteEmptyTree(stub.path());
                if (Files.isDirectory(stub.parent(), LinkOption.NOFOLLOW_LINKS)) {
                    PosixFiles.setTimes(stub.parent(), stub.parentAccessed(), stub.parentModified());
                }
            }
        }
    }

    private static boolean isEmptyStub(Path path) throws IOException {
        BasicFileAttributes attributes =
                Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (attributes.isRegularFile()) {
            return attributes.size() == 0;
        }
        if (!attributes.isDirectory()) {
            return false;
        }
        try (Stream<Path> children = Files.list(path)) {
            for (Path child : (Iterable<Path>) children::iterator) {
                if (!isEmptyStub(child)) {
                    return false;
                }
            }
        }
        return true;
    }

    private static void deleteEmptyTree(Path path) throws IOException {
        if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
            try (Stream<Path> children = Files.list(path)) {
                for (Path child : (Iterable<Path>) children::iterator) {
                    deleteEmptyTree(child);
                }
            }
        }
        Files.delete(path);
    }
}
