package dev.kiln.worker.fs;

import dev.kiln.core.GoPath;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;

/**
 * A directory treated as "/" the way a chroot treats it: every path is resolved component by component inside
 * it, absolute symlink targets start again at the root, and ".." stops at the root, whether it comes from the
 * path asked for or from a symlink's target ("/" is its own parent). This is BuildKit's resolution for file ops,
 * copies, checksums and unpacking (continuity's fs.RootPath, securejoin): a link such as
 * {@code /symlink -> ../tmp/target} in an image means {@code /tmp/target} of that image, never a host path.
 *
 * <p>Resolution returns a host path whose existing components are real directories (never symlinks), so callers
 * that then act with NOFOLLOW_LINKS on the final component cannot be steered outside the root.
 */
public final class ScopedRoot {

    /** Linux's limit for symlinks followed in one lookup (MAXSYMLINKS). */
    private static final int MAX_SYMLINKS = 40;

    private final Path root;

    public ScopedRoot(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    /** The host path of {@code path}, following every symlink, the last one included. */
    public Path resolve(String path) throws FsException {
        return resolve(path, true);
    }

    /** The host path of {@code path}, following symlinks in its parents but not in its last element. */
    public Path resolveParent(String path) throws FsException {
        return resolve(path, false);
    }

    /** The host path of {@code path}; {@code followFinal} says whether a symlink as last element is followed. */
    public Path resolve(String path, boolean followFinal) throws FsException {
        return resolve(path, followFinal, null);
    }

    /**
     * Resolves {@code path} like {@link #resolve(String, boolean)} and fails with a {@link DanglingLinkException}
     * naming the link when a symlink was followed on the way and what it leads to does not exist, so a caller
     * can tell "no such file" from "a link to nothing" (such as {@code link -> /etc/shadow} in a build context:
     * absolute targets start again at this root, where there is no /etc/shadow). The path returned may be absent
     * when no link on the way leads nowhere; the caller says then that the path itself does not exist.
     */
    public Path resolveExisting(String action, String path, boolean followFinal) throws FsException {
        List<String[]> links = new ArrayList<>();
        Path host = resolve(path, followFinal, links);
        if (!links.isEmpty() && !Files.exists(host, LinkOption.NOFOLLOW_LINKS)) {
            // Only the last link followed can be the one to blame: if it leads somewhere, what is missing is a name
            // after it (to-root/etc/hostname with to-root -> ../..), and the caller says "no such file".
            String[] last = links.getLast();
            Path linkTarget = resolve(last[0], true, null);
            if (!Files.exists(linkTarget, LinkOption.NOFOLLOW_LINKS)) {
                throw new DanglingLinkException(action, last[0], last[1], relative(linkTarget));
            }
        }
        return host;
    }

    private Path resolve(String path, boolean followFinal, List<String[]> followedLinks) throws FsException {
        List<String> resolved = new ArrayList<>();
        Deque<String> pending = new ArrayDeque<>(GoPath.elements(path));
        int followed = 0;
        while (!pending.isEmpty()) {
            String name = pending.removeFirst();
            if (name.equals(".")) {
                continue;
            }
            if (name.equals("..")) {
                if (!resolved.isEmpty()) {
                    resolved.removeLast();
                }
                continue;
            }
            boolean last = pending.stream().allMatch(e -> e.equals("."));
            resolved.add(name);
            if (last && !followFinal) {
                continue;
            }
            Path host = hostPath(resolved);
            if (!Files.isSymbolicLink(host)) {
                continue;
            }
            if (++followed > MAX_SYMLINKS) {
                throw new FsException("resolve", GoPath.absolute(path), "too many levels of symbolic links");
            }
            String target = readLink(host, path);
            if (followedLinks != null) {
                followedLinks.add(new String[] {"/" + String.join("/", resolved), target});
            }
            resolved.removeLast();
            if (target.startsWith("/")) {
                resolved.clear();
            }
            List<String> targetElements = GoPath.elements(target);
            for (int i = targetElements.size() - 1; i >= 0; i--) {
                pending.addFirst(targetElements.get(i));
            }
        }
        return hostPath(resolved);
    }

    /** The root-relative form of a host path inside this root, for messages. */
    public String relative(Path host) {
        Path normalized = host.toAbsolutePath().normalize();
        if (!normalized.startsWith(root)) {
            return normalized.toString();
        }
        Path rel = root.relativize(normalized);
        return rel.toString().isEmpty() ? "/" : "/" + rel;
    }

    /** Like {@link #relative} but only for paths known to be under the root. */
    public Optional<String> relativeIfInside(Path host) {
        Path normalized = host.toAbsolutePath().normalize();
        return normalized.startsWith(root) ? Optional.of(relative(normalized)) : Optional.empty();
    }

    private Path hostPath(List<String> elements) {
        Path p = root;
        for (String e : elements) {
            p = p.resolve(e);
        }
        return p;
    }

    private static String readLink(Path host, String path) throws FsException {
        try {
            return Files.readSymbolicLink(host).toString();
        } catch (IOException e) {
            throw new FsException("resolve", GoPath.absolute(path), "cannot read symlink: " + e.getMessage(), e);
        }
    }
}
