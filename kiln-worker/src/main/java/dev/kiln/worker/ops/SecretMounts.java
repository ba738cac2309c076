package dev.kiln.worker.ops;

import dev.kiln.core.Trees;
import dev.kiln.core.sys.PosixFiles;
import dev.kiln.llb.pb.SSHOpt;
import dev.kiln.llb.pb.SecretEnv;
import dev.kiln.llb.pb.SecretOpt;
import dev.kiln.worker.BuildSession;
import dev.kiln.worker.sys.Mounts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.UUID;

/**
 * Secrets and SSH agents for RUN steps. A secret is written to a file on a private tmpfs (never
 * to disk, never into a snapshot) that is bind-mounted into the container and unmounted when the
 * step ends; its value is never part of a cache key, which holds only the secret's id.
 */
public final class SecretMounts {

    private final BuildSession session;
    private final Path scratch;

    public SecretMounts(BuildSession session, Path scratch) {
        this.session = session;
        this.scratch = scratch;
    }

    /** Unmounts and deletes the secret files a killed process left behind. */
    public static void clean(Path scratch) throws IOException {
        if (!Files.isDirectory(scratch)) {
            return;
        }
        for (Path mountPoint : Mounts.mountPointsUnder(scratch)) {
            Mounts.unmount(mountPoint, Mounts.MNT_DETACH);
        }
        Trees.deleteContents(scratch);
    }

    /** A secret file in place until closed, or empty for a missing optional secret. */
    Optional<CacheMounts.Lease> secretFile(SecretOpt opt, String dest) throws IOException {
        Optional<byte[]> value = session.secret(opt.getID());
        if (value.isEmpty()) {
            if (opt.getOptional()) {
                return Optional.empty();
            }
            throw new IOException("secret \"" + opt.getID() + "\" (mounted at " + dest
                    + ") was not provided; pass it with" + " --secret id=" + opt.getID() + ",src=FILE or --secret id="
                    + opt.getID() + ",env=VARIABLE");
        }
        Path dir = Files.createDirectories(scratch).resolve(UUID.randomUUID().toString());
        Files.createDirectory(dir);
        PosixFiles.chmod(dir, 0700);
        boolean mounted = false;
        try {
            Mounts.mount(
                    "tmpfs", dir, "tmpfs", Mounts.MS_NOSUID | Mounts.MS_NODEV | Mounts.MS_NOEXEC, "size=1m,mode=0700");
            mounted = true;
            Path file = dir.resolve("secret");
            Files.write(file, value.get());
            int mode = opt.getMode() == 0 ? 0400 : opt.getMode() & 07777;
            PosixFiles.chmod(file, mode);
            PosixFiles.lchown(file, opt.getUid(), opt.getGid());
            boolean unmount = mounted;
            return Optional.of(new Lease(file, dir, unmount));
        } catch (IOException | RuntimeException e) {
            release(dir, mounted);
            throw e;
        }
    }

    /** The value of a secret exposed as an environment variable, or empty for a missing optional one. */
    Optional<String> secretEnv(SecretEnv env) throws IOException {
        Optional<byte[]> value = session.secret(env.getID());
        if (value.isEmpty() && !env.getOptional()) {
            throw new IOException("secret \"" + env.getID() + "\" (environment variable " + env.getName()
                    + ") was not provided; pass it with --secret id=" + env.getID() + ",...");
        }
        return value.map(bytes -> new String(bytes, java.nio.charset.StandardCharsets.UTF_8));
    }

    /** The host's agent socket for an SSH mount, or empty for a missing optional one. */
    Optional<Path> sshSocket(SSHOpt opt, String dest) throws IOException {
        Optional<Path> socket = session.sshSocket(opt.getID());
        if (socket.isEmpty() && !opt.getOptional()) {
            String id = opt.getID().isEmpty() ? "default" : opt.getID();
            throw new IOException("ssh \"" + id + "\" (mounted at " + dest + ") was not provided; pass --ssh " + id
                    + " with an agent running (SSH_AUTH_SOCK) or --ssh " + id + "=SOCKET");
        }
        return socket;
    }

    private static void release(Path dir, boolean mounted) throws IOException {
        if (mounted) {
            Mounts.unmount(dir, Mounts.MNT_DETACH);
        }
        try (var files = Files.list(dir)) {
            for (Path file : files.toList()) {
                Files.deleteIfExists(file);
            }
        }
        Files.deleteIfExists(dir);
    }

    private record Lease(Path path, Path dir, boolean mounted) implements CacheMounts.Lease {
        @Override
        public void close() throws IOException {
            release(dir, mounted);
        }
    }
}
