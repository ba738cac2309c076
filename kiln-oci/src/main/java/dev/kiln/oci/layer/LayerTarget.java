package dev.kiln.oci.layer;

import dev.kiln.core.Trees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The directory a layer is unpacked into, and the only way the unpacker finds paths in it: every parent is walked
 * component by component with lstat, symlinks met on the way are followed only while they stay inside, so no entry
 * can land outside the directory, whatever symlinks earlier entries made.
 */
final class LayerTarget {
    private static final int MAX_SYMLINKS = 40;

    private final Path root;
    /** Parents already walked: the entry's literal parent path to the real directory it resolved to. */
    private final Map<String, Path> directories = new HashMap<>();

    LayerTarget(Path root) {
        this.root = root;
    }

    /** The real directory that will hold the entry's last component; missing parents are made (root, 0755). */
    Path parentOf(String entry, List<String> components) throws IOException {
        return directory(entry, components.subList(0, components.size() - 1), true);
    }

    /** Where a hard link's target already is in the layer; anything else is refused. */
    Path linkTarget(String entry, String linkName) throws IOException {
        List<String> components;
        try {
            components = LayerPath.components(entry, linkName, "hard link target");
        } catch (InvalidLayerException e) {
            throw new InvalidLayerException(entry, "hard link to \"" + linkName + "\", which is outside the layer", e);
        }
        if (components.isEmpty()) {
            throw new InvalidLayerException(entry, "hard link to the layer's root directory");
        }
        Path target = directory(entry, components.subList(0, components.size() - 1), false)
                .resolve(components.getLast());
        BasicFileAttributes attributes = lstat(target);
        if (attributes == null) {
            throw new InvalidLayerException(
                    entry,
                    "hard link to \"" + linkName + "\", which is not in the layer"
                            + " (a hard link must point to an earlier entry of the same layer)");
        }
        if (attributes.isDirectory()) {
            throw new InvalidLayerException(entry, "hard link to the directory \"" + linkName + "\"");
        }
        return target;
    }

    /** Removes whatever is at {@code path} (never following symlinks) so a later entry can replace it. */
    void remove(Path path) throws IOException {
        directories.clear(); // a removed directory or symlink may be part of any walked parent
        Trees.deleteRecursively(path);
    }

    static BasicFileAttributes lstat(Path path) throws IOException {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    private Path directory(String entry, List<String> components, boolean create) throws IOException {
        if (components.isEmpty()) {
            return root;
        }
        String key = LayerPath.join(components);
        Path known = directories.get(key);
        if (known == null) {
            known = walk(entry, components, create);
            directories.put(key, known);
        }
        return known;
    }

    private Path walk(String entry, List<String> components, boolean create) throws IOException {
        Deque<String> pending = new ArrayDeque<>(components);
        List<String> current = new ArrayList<>();
        int links = 0;
        String lastLink = null;
        String lastTarget = null;
        while (!pending.isEmpty()) {
            String component = pending.removeFirst();
            if (component.equals("..")) {
                if (current.isEmpty()) {
                    throw throughSymlink(entry, lastLink, lastTarget);
                }
                current.removeLast();
                continue;
            }
            current.add(component);
            Path path = root.resolve(LayerPath.join(current));
            BasicFileAttributes attributes = lstat(path);
            if (attributes == null) {
                if (!create) {
                    throw new InvalidLayerException(
                            entry, "hard link through \"" + LayerPath.join(current) + "\", which is not in the layer");
                }
                Files.createDirectory(path);
                Files.setAttribute(path, "unix:mode", 0755);
            } else if (attributes.isSymbolicLink()) {
                if (++links > MAX_SYMLINKS) {
                    throw new InvalidLayerException(entry, "more than " + MAX_SYMLINKS + " symlinks in its path");
                }
                lastLink = LayerPath.join(current);
                lastTarget = Files.readSymbolicLink(path).toString();
                if (lastTarget.startsWith("/")) {
                    throw throughSymlink(entry, lastLink, lastTarget);
                }
                current.removeLast();
                String[] parts = lastTarget.split("/");
                for (int i = parts.length - 1; i >= 0; i--) {
                    if (!parts[i].isEmpty() && !parts[i].equals(".")) {
                        pending.addFirst(parts[i]);
                    }
                }
            } else if (!attributes.isDirectory()) {
                throw new InvalidLayerException(
                        entry, "its parent \"" + LayerPath.join(current) + "\" is not a directory");
            }
        }
        return root.resolve(LayerPath.join(current));
    }

    private static InvalidLayerException throughSymlink(String entry, String link, String target) {
        return new InvalidLayerException(
                entry,
                "its path goes through the symlink \"" + link + "\", which points outside the layer (to " + target
                        + ")");
    }
}
