package dev.kiln.worker.snapshot;

import dev.kiln.core.sys.PosixFiles;
import dev.kiln.core.sys.Xattrs;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Overlayfs's markers in a layer: whiteouts for deletions and the opaque attribute for replaced directories. The
 * names are kiln-core's {@link dev.kiln.core.Overlay}, shared with kiln-oci; this class reads and writes them.
 */
final class OverlayMarkers {

    private OverlayMarkers() {}

    static void makeWhiteout(Path path) throws IOException {
        PosixFiles.mknod(path, PosixFiles.S_IFCHR, PosixFiles.makedev(0, 0));
    }

    static boolean isOpaque(Path directory) throws IOException {
        return Xattrs.get(directory, dev.kiln.core.Overlay.OPAQUE_XATTR)
                .map(dev.kiln.core.Overlay::isOpaqueValue)
                .orElse(false);
    }

    static void makeOpaque(Path directory) throws IOException {
        Xattrs.set(directory, dev.kiln.core.Overlay.OPAQUE_XATTR, dev.kiln.core.Overlay.opaqueValue());
    }

    /** Attributes that belong to overlayfs's bookkeeping, not to the file. */
    static boolean isOverlayAttribute(String name) {
        return name.startsWith(dev.kiln.core.Overlay.XATTR_PREFIX);
    }
}
