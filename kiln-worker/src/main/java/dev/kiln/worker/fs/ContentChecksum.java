package dev.kiln.worker.fs;

import dev.kiln.core.GoPath;
import dev.kiln.core.PathPatterns;
import dev.kiln.core.Sha256;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * Content digests ("sha256:&lt;hex&gt;") of paths inside a root, for content-based cache keys. A digest covers
 * the relative paths, types, permission bits, uid/gid, symlink targets, device numbers and file contents of the
 * selected tree, and nothing else: not mtimes, not where the root is, not the selected path's own name. So the
 * same content copied elsewhere (or touched) keeps its digest, and any byte, mode or owner change alters it.
 *
 * <p>File contents come from a {@link ChecksumIndex}, so a tree that did not change costs one lstat per entry.
 */
public final class ContentChecksum {

    private static final String PREFIX = "sha256:";
    private static final int FORMAT_VERSION = 1;
    private static final int DIGEST_BUFFER = 16 * 1024;

    private final ChecksumIndex index;
    private final Path viewRoot;
    private final LayerFiles layers;

    public ContentChecksum(ChecksumIndex index) {
        this(index, null, null);
    }

    private ContentChecksum(ChecksumIndex index, Path viewRoot, LayerFiles layers) {
        this.index = index;
        this.viewRoot = viewRoot;
        this.layers = layers;
    }

    /**
     * Checksums of {@code viewRoot}, a read-only overlay view of committed layers ({@code layersTopFirst}): a file's content digest is
     * remembered by the layer file that holds it, not by the view's path, which is new for every mount, so a view of
     * a new snapshot that shares most layers with an earlier one (the next build's context) reads only the new files.
     */
    public ContentChecksum overLayers(Path viewRoot, List<Path> layersTopFirst) throws IOException {
        return layersTopFirst.isEmpty()
                ? this
                : new ContentChecksum(index, viewRoot.toAbsolutePath().normalize(), new LayerFiles(layersTopFirst));
    }

    public ChecksumIndex index() {
        return index;
    }

    /** The digest of one path (file or tree), following a final symlink. */
    public String checksum(Path root, String path) throws FsException {
        return checksum(root, new ChecksumSelector(path, true, false, List.of(), List.of()));
    }

    /**
     * The digest of several selectors together, for a copy with several sources. Plain strings: the final
     * symlink is followed and wildcard characters expand. One selector gives the same digest as checksumming it
     * alone; none gives the digest of the whole root.
     */
    public String checksum(Path root, List<String> selectors) throws FsException {
        if (selectors.isEmpty()) {
            return checksum(root, "/");
        }
        if (selectors.size() == 1) {
            return checksum(root, ChecksumSelector.of(selectors.getFirst()));
        }
        MessageDigest combined = Sha256.engine();
        update(combined, "selectors");
        for (String selector : selectors) {
            update(combined, checksum(root, ChecksumSelector.of(selector)));
        }
        return PREFIX + HexFormat.of().formatHex(combined.digest());
    }

    /** The digest of one selector. */
    public String checksum(Path root, ChecksumSelector selector) throws FsException {
        return checksum(root, selector, false, null);
    }

    /**
     * The digest of one selector, as {@link #checksum(Path, ChecksumSelector)}, also telling {@code listing} what
     * each entry under it contributed, so that a later build can name the files that changed. Costs no extra read:
     * the entries are the ones the digest covers.
     */
    public String checksum(Path root, ChecksumSelector selector, Listing listing) throws FsException {
        return checksum(root, selector, false, listing);
    }

    /**
     * What each entry of a checksummed tree was, by relative path ("src/main.c"), as {@code "sha256:<content hex>
     * <mode octal> <uid>:<gid>"} for a regular file, {@code "symlink <target> ..."}, {@code "dir ..."} and so on; at
     * most {@code limit} entries in scan order, {@link #truncated()} when there were more.
     */
    public static final class Listing {

        private final int limit;
        private final java.util.Map<String, String> entries = new java.util.LinkedHashMap<>();
        private boolean truncated;
        private ScannedTree scanned;

        public Listing(int limit) {
            this.limit = limit;
        }

        public java.util.Map<String, String> entries() {
            return java.util.Collections.unmodifiableMap(entries);
        }

        public boolean truncated() {
            return truncated;
        }

        /** The scan of the checksummed directory, with every entry's lstat, for a sync of the same tree. */
        public java.util.Optional<ScannedTree> scanned() {
            return java.util.Optional.ofNullable(scanned);
        }

        void add(String relative, String value) {
            if (entries.size() < limit) {
                entries.put(relative, value);
            } else {
                truncated = true;
            }
        }
    }

    /**
     * The digest of a path a local transfer follows (a COPY source of the context): as {@link #checksum(Path,
     * String)}, but a match that is a link to nothing counts as "absent" instead of failing, since the transfer
     * sends such a link as it is; the copy that reads it later says what is wrong, where the user can see it.
     */
    public String followedChecksum(Path root, String path) throws FsException {
        return checksum(root, ChecksumSelector.of(path), true, null);
    }

    private String checksum(Path root, ChecksumSelector selector, boolean danglingAbsent, Listing listing)
            throws FsException {
        ScopedRoot scope = new ScopedRoot(root);
        try {
            FilteredTree filter = new FilteredTree(
                    PathPatterns.compile(selector.includePatterns()), PathPatterns.compile(selector.excludePatterns()));
            if (!selector.wildcard()) {
                Path target;
                try {
                    target = scope.resolveExisting("checksum", selector.path(), selector.followSymlink());
                } catch (DanglingLinkException e) {
                    if (danglingAbsent) {
                        return "absent";
                    }
                    throw e;
                }
                if (!Files.exists(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    throw new FsException("checksum", GoPath.absolute(selector.path()), "no such file or directory");
                }
                return PREFIX + HexFormat.of().formatHex(treeDigest(target, filter, listing));
            }
            List<String> matches = Wildcards.expand(scope, selector.path(), selector.followSymlink());
            MessageDigest combined = Sha256.engine();
            update(combined, "wildcard");
            for (String match : matches) {
                update(combined, match);
                try {
                    // a match exists (it was listed), so a missing target is always a link to nothing
                    combined.update(treeDigest(
                            scope.resolveExisting("checksum", match, selector.followSymlink()), filter, null));
                } catch (DanglingLinkException e) {
                    if (!danglingAbsent) {
                        throw e;
                    }
                    update(combined, "absent");
                }
            }
            return PREFIX + HexFormat.of().formatHex(combined.digest());
        } catch (FsException e) {
            throw e.during("checksum");
        } catch (IllegalArgumentException e) {
            throw new FsException("checksum", GoPath.absolute(selector.path()), e.getMessage(), e);
        } catch (FileSystemException e) {
            String where =
                    e.getFile() == null ? GoPath.absolute(selector.path()) : scope.relative(Path.of(e.getFile()));
            throw new FsException("checksum", where, String.valueOf(e.getReason()), e);
        } catch (IOException e) {
            throw new FsException("checksum", GoPath.absolute(selector.path()), String.valueOf(e.getMessage()), e);
        }
    }

    private byte[] treeDigest(Path top, FilteredTree filter, Listing listing) throws IOException {
        MessageDigest sha = Sha256.engine();
        // top's path in the layered view, once: an entry's is this joined with its relative path, which costs far
        // less than deriving it from the entry's host path (a fifth of a 20,000-file COPY's CPU did that)
        String topInView = inView(top);
        // buffered: an entry is a few small writes, and the digest takes one call per write (a native call, in the
        // daemon); closing flushes before the digest is read
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(
                new DigestOutputStream(OutputStream.nullOutputStream(), sha), DIGEST_BUFFER))) {
            out.writeInt(FORMAT_VERSION);
            FileStat topStat = FileStat.of(top);
            writeEntry(out, ".", top, topStat, topInView);
            if (topStat.isDirectory()) {
                List<FilteredTree.Entry> entries = filter.scan(top);
                if (listing != null) {
                    listing.scanned = new ScannedTree(top, entries);
                }
                for (FilteredTree.Entry entry : entries) {
                    String entryInView = topInView == null
                            ? null
                            : topInView.isEmpty() ? entry.relative() : topInView + "/" + entry.relative();
                    Path path = entry.path();
                    byte[] content = writeEntry(out, entry.relative(), path, entry.stat(), entryInView);
                    if (listing != null) {
                        listing.add(entry.relative(), describe(entry.stat(), content, path));
                    }
                }
            }
        }
        return sha.digest();
    }

    /** {@code path} under the layered view's root as "a/b" ("" for the root), or null without a view or outside it. */
    private String inView(Path path) {
        if (layers == null) {
            return null;
        }
        Path absolute = path.toAbsolutePath().normalize();
        return absolute.startsWith(viewRoot) ? viewRoot.relativize(absolute).toString() : null;
    }

    /** One entry of a listing: what it is, then its mode and owner (the header the tree digest covers). */
    private static String describe(FileStat stat, byte[] content, Path path) throws IOException {
        String what = switch (stat.type()) {
            case REGULAR -> PREFIX + HexFormat.of().formatHex(content);
            case SYMLINK -> "symlink " + Files.readSymbolicLink(path);
            case DIRECTORY -> "dir";
            default -> stat.type().name().toLowerCase(java.util.Locale.ROOT);
        };
        return what + " " + Integer.toOctalString(stat.permissions()) + " " + stat.uid() + ":" + stat.gid();
    }

    /**
     * Writes one entry; returns a regular file's content digest (null for other types). {@code inView}: the entry's
     * path under the layered view's root, as {@link #inView} gives it.
     */
    private byte[] writeEntry(DataOutputStream out, String relative, Path path, FileStat stat, String inView)
            throws IOException {
        writeString(out, relative);
        out.writeChar(stat.type().code());
        out.writeInt(stat.permissions());
        out.writeInt(stat.uid());
        out.writeInt(stat.gid());
        byte[] content = null;
        switch (stat.type()) {
            case REGULAR -> {
                content = contentDigest(path, stat, inView);
                out.write(content);
            }
            case SYMLINK -> writeString(out, Files.readSymbolicLink(path).toString());
            case CHAR_DEVICE, BLOCK_DEVICE -> out.writeLong(stat.rdev());
            default -> {
                // Directories, FIFOs and sockets are fully described by the header.
            }
        }
        return content;
    }

    private byte[] contentDigest(Path path, FileStat stat, String inView) throws IOException {
        if (inView != null && !inView.isEmpty()) {
            Optional<LayerFile> layerFile = layers.regularFile(inView, stat);
            if (layerFile.isPresent()) {
                return index.immutableDigest(layerFile.get().path(), stat);
            }
        }
        return index.contentDigest(path, stat);
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    private static void update(MessageDigest digest, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        digest.update((byte) (bytes.length >>> 24));
        digest.update((byte) (bytes.length >>> 16));
        digest.update((byte) (bytes.length >>> 8));
        digest.update((byte) bytes.length);
        digest.update(bytes);
    }
}
