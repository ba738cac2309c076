package dev.kiln.maven;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The project's dependency jars gathered into two directories under {@code target/kiln/}, one for releases and one
 * for snapshots, which the image's two dependency layers read as local sources. A jar already there with the same
 * size and time is left alone, so the engine's checksums of unchanged files (kept by path, size, time and inode) stay
 * valid from build to build and a rebuild reads no jar again.
 *
 * @param libs          release dependencies
 * @param snapshotLibs  snapshot dependencies
 */
record DependencyDirectories(Path libs, Path snapshotLibs, boolean hasLibs, boolean hasSnapshotLibs) {

    /** Fills (and prunes) the two directories from {@code dependencies}. */
    static DependencyDirectories stage(Path buildDirectory, List<ProjectFacts.Dependency> dependencies)
            throws IOException {
        Path root = buildDirectory.resolve("kiln");
        Map<String, Path> releases = new LinkedHashMap<>();
        Map<String, Path> snapshots = new LinkedHashMap<>();
        Set<String> taken = new HashSet<>();
        for (ProjectFacts.Dependency dependency : dependencies) {
            Path file = dependency.file();
            if (file == null || !Files.isRegularFile(file)) {
                continue; // a reactor module not packaged yet has a directory: it has no jar to add
            }
            String name = file.getFileName().toString();
            if (!taken.add(name)) {
                // Jib's rule for two jars of one name: the group makes them distinct
                name = dependency.groupId() + "-" + name;
                taken.add(name);
            }
            (dependency.snapshot() ? snapshots : releases).put(name, file);
        }
        sync(root.resolve("libs"), releases);
        sync(root.resolve("snapshot-libs"), snapshots);
        return new DependencyDirectories(
                root.resolve("libs"), root.resolve("snapshot-libs"), !releases.isEmpty(), !snapshots.isEmpty());
    }

    private static void sync(Path dir, Map<String, Path> files) throws IOException {
        Files.createDirectories(dir);
        try (Stream<Path> present = Files.list(dir)) {
            for (Path old : present.toList()) {
                if (!files.containsKey(old.getFileName().toString())) {
                    Files.delete(old);
                }
            }
        }
        for (Map.Entry<String, Path> entry : files.entrySet()) {
            Path target = dir.resolve(entry.getKey());
            if (same(entry.getValue(), target)) {
                continue;
            }
            Path temp = dir.resolve("." + entry.getKey() + ".tmp");
            Files.copy(entry.getValue(), temp, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
    }

    private static boolean same(Path source, Path target) throws IOException {
        if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        BasicFileAttributes a = Files.readAttributes(source, BasicFileAttributes.class);
        BasicFileAttributes b = Files.readAttributes(target, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        return b.isRegularFile() && a.size() == b.size() && a.lastModifiedTime().equals(b.lastModifiedTime());
    }
}
