package dev.kiln.worker.runtime;

import dev.kiln.core.sys.PosixFiles;
import dev.kiln.worker.fs.ScopedRoot;
import dev.kiln.worker.user.Identity;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;

/** Creates a missing working directory inside the rootfs, owned by the process's user, as BuildKit does. */
final class WorkingDirectory {
    private WorkingDirectory() {}

    static void ensure(Path rootfs, String cwd, Identity identity) throws IOException {
        Path target = new ScopedRoot(rootfs).resolve(cwd);
        if (Files.isDirectory(target)) {
            return;
        }
        Deque<Path> missing = new ArrayDeque<>();
        for (Path p = target; p.startsWith(rootfs) && !Files.exists(p, LinkOption.NOFOLLOW_LINKS); p = p.getParent()) {
            missing.push(p);
        }
        for (Path dir : missing) {
            try {
                Files.createDirectory(dir);
            } catch (IOException e) {
                throw new IOException(
                        "cannot create working directory " + cwd + " in the rootfs: " + e.getMessage(), e);
            }
            PosixFiles.chmod(dir, 0755);
            PosixFiles.lchown(dir, identity.uid(), identity.gid());
        }
        if (!Files.isDirectory(target)) {
            throw new IOException("working directory " + cwd + " exists in the rootfs but is not a directory");
        }
    }
}
