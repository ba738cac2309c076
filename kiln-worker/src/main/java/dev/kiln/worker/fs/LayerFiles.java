package dev.kiln.worker.fs;

import dev.kiln.core.Overlay;
import dev.kiln.core.sys.Xattrs;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The committed layer files behind the paths of a read-only overlay view of them. A layer file is found as
 * overlayfs finds it, top layer first, through directories only; it counts only when it is the very inode the view
 * shows (overlayfs on one file system shows each file with its layer's inode number), so a file the lookup gets
 * wrong is never taken for another. Layer files never change and a layer's path is never reused, so what is known
 * of one (its digest) holds for as long as it exists, in every later view that shows it.
 */
public final class LayerFiles {

    private final List<Path> layers;
    private final long layerDevice;
    private final Map<String, List<Path>> directoryLayers = new HashMap<>();

    /** {@code layersTopFirst}: the committed layer directories the view stacks, top first. */
    public LayerFiles(List<Path> layersTopFirst) throws IOException {
        this.layers = List.copyOf(layersTopFirst);
        this.layerDevice =
                layers.isEmpty() ? -1 : FileStat.of(layers.getFirst()).device();
    }

    /**
     * The layer file the view shows at {@code relative} (no leading slash) with {@code viewStat}, when it is a regular
     * file of one layer with the same inode, size and mtime.
     */
    Optional<LayerFile> regularFile(String relative, FileStat viewStat) throws IOException {
        int slash = relative.lastIndexOf('/');
        for (Path layer : layersWith(slash < 0 ? "" : relative.substring(0, slash))) {
            Optional<FileStat> found = FileStat.ofIfExists(layer.resolve(relative));
            if (found.isEmpty()) {
                continue;
            }
            FileStat stat = found.get();
            boolean same = stat.isRegularFile()
                    && stat.device() == layerDevice
                    && stat.inode() == viewStat.inode()
                    && stat.size() == viewStat.size()
                    && stat.modified().equals(viewStat.modified());
            return same ? Optional.of(new LayerFile(layer, relative)) : Optional.empty();
        }
        return Optional.empty();
    }

    /**
     * The layers, top first, in which {@code dir} is a directory that overlayfs merges into the view: below a layer
     * where it is anything else, or an opaque directory, lower layers do not count.
     */
    private List<Path> layersWith(String dir) throws IOException {
        List<Path> known = directoryLayers.get(dir);
        if (known != null) {
            return known;
        }
        List<Path> result;
        if (dir.isEmpty()) {
            result = layers;
        } else {
            int slash = dir.lastIndexOf('/');
            result = new ArrayList<>();
            for (Path layer : layersWith(slash < 0 ? "" : dir.substring(0, slash))) {
                Path candidate = layer.resolve(dir);
                Optional<FileStat> stat = FileStat.ofIfExists(candidate);
                if (stat.isEmpty()) {
                    continue;
                }
                if (!stat.get().isDirectory()) {
                    break;
                }
                result.add(layer);
                if (Xattrs.get(candidate, Overlay.OPAQUE_XATTR)
                        .map(Overlay::isOpaqueValue)
                        .orElse(false)) {
                    break;
                }
            }
        }
        directoryLayers.put(dir, result);
        return result;
    }
}
