package dev.kiln.worker.sys;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Resolves a path inside a root directory as a process chrooted there would: symlinks are followed, but
 * absolute targets and ".." never leave the root. This is what keeps a rootfs's /etc/passwd -> /../../etc/passwd
 * or a copy source pointing outside from reaching the host.
 */
public final class ScopedPath {
  private static final int MAX_SYMLINKS = 40;

  private ScopedPath() {}

  /** The host path of {@code path} (absolute or relative to the root) inside {@code root}; it need not exist. */
  public static Path resolve(Path root, String path) throws IOException {
    Deque<String> pending = new ArrayDeque<>();
    push(pending, path);
    Deque<String> resolved = new ArrayDeque<>();
    int links = 0;
    while (!pending.isEmpty()) {
      String part = pending.pop();
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        resolved.pollLast();
        continue;
      }
      Path candidate = join(root, resolved).resolve(part);
      if (Files.isSymbolicLink(candidate)) {
        if (++links > MAX_SYMLINKS) {
          throw new IOException("too many levels of symbolic links resolving " + path + " in " + root);
        }
        String target = Files.readSymbolicLink(candidate).toString();
        if (target.startsWith("/")) {
          resolved.clear();
        }
        push(pending, target);
      } else {
        resolved.addLast(part);
        if (!Files.exists(candidate, LinkOption.NOFOLLOW_LINKS)) {
          // Nothing below a missing entry can be a symlink: the rest is taken as written.
          while (!pending.isEmpty()) {
            String rest = pending.pop();
            if (rest.equals("..")) {
              resolved.pollLast();
            } else if (!rest.isEmpty() && !rest.equals(".")) {
              resolved.addLast(rest);
            }
          }
        }
      }
    }
    return join(root, resolved);
  }

  private static void push(Deque<String> pending, String path) {
    String[] parts = path.split("/");
    for (int i = parts.length - 1; i >= 0; i--) {
      pending.push(parts[i]);
    }
  }

  private static Path join(Path root, Deque<String> parts) {
    Path out = root;
    for (String part : parts) {
      out = out.resolve(part);
    }
    return out;
  }
}
