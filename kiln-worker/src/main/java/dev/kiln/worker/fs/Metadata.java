package dev.kiln.worker.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.time.Instant;
import java.util.List;

/** Writes inode metadata without following a final symlink (lchown, utimensat with AT_SYMLINK_NOFOLLOW). */
final class Metadata {

  private Metadata() {}

  static void chown(Path path, Owner owner) throws IOException {
    Files.setAttribute(path, "unix:uid", owner.uid(), LinkOption.NOFOLLOW_LINKS);
    Files.setAttribute(path, "unix:gid", owner.gid(), LinkOption.NOFOLLOW_LINKS);
  }

  /** Sets permission and setuid/setgid/sticky bits; never called on symlinks, whose mode Linux ignores. */
  static void chmod(Path path, int permissions) throws IOException {
    Files.setAttribute(path, "unix:mode", permissions & 07777, LinkOption.NOFOLLOW_LINKS);
  }

  static void setTimes(Path path, FileTime accessed, FileTime modified) throws IOException {
    Files.getFileAttributeView(path, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
        .setTimes(modified, accessed, null);
  }

  static void setTimes(Path path, Instant both) throws IOException {
    FileTime t = FileTime.from(both);
    setTimes(path, t, t);
  }

  /**
   * Copies "user." extended attributes where the file systems allow them. Best effort, like BuildKit's copy that
   * logs and ignores xattr errors: a target without xattr support must not fail a build.
   */
  static void copyUserXattrs(Path source, Path target) {
    try {
      UserDefinedFileAttributeView from =
          Files.getFileAttributeView(source, UserDefinedFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
      if (from == null) {
        return;
      }
      List<String> names = from.list();
      if (names.isEmpty()) {
        return;
      }
      UserDefinedFileAttributeView to =
          Files.getFileAttributeView(target, UserDefinedFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
      for (String name : names) {
        ByteBuffer value = ByteBuffer.allocate(from.size(name));
        from.read(name, value);
        value.flip();
        to.write(name, value);
      }
    } catch (IOException | UnsupportedOperationException e) {
      // No xattr support on one side (or an attribute it refuses): the copy stays valid without them.
    }
  }

  static void setUserXattr(Path target, String name, byte[] value) {
    try {
      UserDefinedFileAttributeView to =
          Files.getFileAttributeView(target, UserDefinedFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
      if (to != null) {
        to.write(name, ByteBuffer.wrap(value));
      }
    } catch (IOException | UnsupportedOperationException e) {
      // Extended attributes are kept where the target supports them, dropped where it does not.
    }
  }
}
