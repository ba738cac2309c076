package dev.kiln.worker.fs;

import dev.kiln.core.Overlay;
import dev.kiln.core.sys.PosixFiles;
import dev.kiln.core.sys.Xattrs;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Writes inode metadata without following a final symlink (lchown, utimensat with AT_SYMLINK_NOFOLLOW). */
final class Metadata {

    private Metadata() {}

    // Direct system calls rather than the JDK's attribute views: those open the file for some updates, which
    // blocks forever on a FIFO.

    static void chown(Path path, Owner owner) throws IOException {
        PosixFiles.lchown(path, owner.uid(), owner.gid());
    }

    /** Sets permission and setuid/setgid/sticky bits; never called on symlinks, whose mode Linux ignores. */
    static void chmod(Path path, int permissions) throws IOException {
        PosixFiles.chmod(path, permissions & 07777);
    }

    static void setTimes(Path path, FileTime accessed, FileTime modified) throws IOException {
        PosixFiles.setTimes(path, accessed, modified);
    }

    static void setTimes(Path path, Instant both) throws IOException {
        FileTime t = FileTime.from(both);
        setTimes(path, t, t);
    }

    /**
     * Copies extended attributes of every namespace the kernel shows (user., security.capability, ACLs), best
     * effort like BuildKit's copy, which logs and ignores xattr errors: a target without xattr support must not fail
     * a build. Overlayfs's own markers are never carried over.
     */
    static void copyXattrs(Path source, Path target) {
        List<String> names;
        try {
            names = Xattrs.list(source);
        } catch (IOException e) {
            return;
        }
        for (String name : names) {
            if (name.startsWith(Overlay.XATTR_PREFIX)) {
                continue;
            }
            try {
                Optional<byte[]> value = Xattrs.get(source, name);
                if (value.isPresent()) {
                    Xattrs.set(target, name, value.get());
                }
            } catch (IOException e) {
                // This attribute is not supported or not permitted on the target; the others still count.
            }
        }
    }

    /** Sets one extended attribute if the target accepts it (archive members carry them as PAX records). */
    static void setXattr(Path target, String name, byte[] value) {
        try {
            Xattrs.set(target, name, value);
        } catch (IOException e) {
            // Kept where the target supports it, dropped where it does not, as Docker's untar does.
        }
    }
}
