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
 * Lets a copy from a view of immutable layers give the target hard links to the layers' files instead of copies,
 * for files whose metadata the copy keeps as it is (see {@code PendingLinks} in the snapshot package for why that
 * is safe and where the links are made).
 *
 * <p>The layer file behind a path of the view is found as overlayfs finds it, top layer first, through directories
 * only; it counts only when it is the very inode the view shows (overlayfs on one file system shows each file with
 * its layer's inode number), so a file the lookup gets wrong is copied, never linked.
 */
public final class SharedFiles {

  /** The target side: the hard links its snapshot makes when it is committed. */
  public interface Links {
    /** Whether a link can go into {@code relativeDir} (no leading slash; "" is the root). */
    boolean canLinkInto(String relativeDir);

    /** At commit, {@code relative} becomes a hard link to {@code file}. */
    void add(String relative, Path file);

    /** Something else is written at {@code relative}, and below it with {@code subtree}. */
    void forget(String relative, boolean subtree);
  }

  private final List<Path> layers;
  private final long layerDevice;
  private final Links links;
  private final Map<String, List<Path>> directoryLayers = new HashMap<>();

  /** {@code layersTopFirst}: the committed layer directories the copy's source view stacks, top first. */
  public SharedFiles(List<Path> layersTopFirst, Links links) throws IOException {
    this.layers = List.copyOf(layersTopFirst);
    this.layerDevice = layers.isEmpty() ? -1 : FileStat.of(layers.getFirst()).device();
    this.links = links;
  }

  Links links() {
    return links;
  }

  /**
   * The layer file the view shows at {@code relative} (no leading slash) with {@code viewStat}, when it is a plain
   * regular file of one layer that a link may share: same inode, size and mtime, no overlayfs attributes.
   */
  Optional<Path> layerFile(String relative, FileStat viewStat) throws IOException {
    int slash = relative.lastIndexOf('/');
    for (Path layer : layersWith(slash < 0 ? "" : relative.substring(0, slash))) {
      Optional<FileStat> found = FileStat.ofIfExists(layer.resolve(relative));
      if (found.isEmpty()) {
        continue;
      }
      FileStat stat = found.get();
      boolean same = stat.isRegularFile() && stat.device() == layerDevice && stat.inode() == viewStat.inode()
          && stat.size() == viewStat.size() && stat.modified().equals(viewStat.modified());
      if (!same) {
        return Optional.empty();
      }
      Path file = layer.resolve(relative);
      for (String name : Xattrs.list(file)) {
        if (name.startsWith(Overlay.XATTR_PREFIX)) {
          return Optional.empty();
        }
      }
      return Optional.of(file);
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
        if (Xattrs.get(candidate, Overlay.OPAQUE_XATTR).map(Overlay::isOpaqueValue).orElse(false)) {
          break;
        }
      }
    }
    directoryLayers.put(dir, result);
    return result;
  }
}
