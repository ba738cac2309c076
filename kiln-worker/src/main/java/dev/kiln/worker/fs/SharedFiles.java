package dev.kiln.worker.fs;

import dev.kiln.core.Overlay;
import dev.kiln.core.sys.Xattrs;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Lets a copy from a view of immutable layers give the target hard links to the layers' files instead of copies,
 * for files whose metadata the copy keeps as it is (see {@code PendingLinks} in the snapshot package for why that
 * is safe and where the links are made). Which layer file a path shows is {@link LayerFiles}' answer.
 */
public final class SharedFiles {

    /** The target side: the hard links its snapshot makes when it is committed. */
    public interface Links {
        /** Whether a link can go into {@code relativeDir} (no leading slash; "" is the root). */
        boolean canLinkInto(String relativeDir);

        /** At commit, {@code relative} becomes a hard link to {@code file}. */
        void add(String relative, LayerFile file);

        /** Something else is written at {@code relative}, and below it with {@code subtree}. */
        void forget(String relative, boolean subtree);
    }

    private final LayerFiles layers;
    private final Links links;

    /** {@code layersTopFirst}: the committed layer directories the copy's source view stacks, top first. */
    public SharedFiles(List<Path> layersTopFirst, Links links) throws IOException {
        this.layers = new LayerFiles(layersTopFirst);
        this.links = links;
    }

    Links links() {
        return links;
    }

    /**
     * The layer file the view shows at {@code relative} (no leading slash) with {@code viewStat}, when a link may
     * share it: a regular file of one layer, the same inode, with no overlayfs attributes of its own.
     */
    Optional<LayerFile> layerFile(String relative, FileStat viewStat) throws IOException {
        Optional<LayerFile> file = layers.regularFile(relative, viewStat);
        if (file.isPresent()) {
            for (String name : Xattrs.list(file.get().path())) {
                if (name.startsWith(Overlay.XATTR_PREFIX)) {
                    return Optional.empty();
                }
            }
        }
        return file;
    }
}
