package dev.kiln.engine.gateway;

import dev.kiln.core.sys.PosixFiles;
import dev.kiln.gateway.Stat;
import dev.kiln.worker.ScopedReads;
import dev.kiln.worker.fs.FileStat;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** lstat results in the shape the gateway API gives them: fsutil's Stat with a Go FileMode. */
final class GatewayStats {

    private GatewayStats() {}

    static Stat of(ScopedReads.Entry entry) {
        FileStat stat = entry.stat();
        long rdev = stat.rdev();
        boolean device = stat.type() == dev.kiln.worker.fs.FileType.CHAR_DEVICE
                || stat.type() == dev.kiln.worker.fs.FileType.BLOCK_DEVICE;
        return new Stat(
                entry.path(),
                goMode(stat),
                stat.uid(),
                stat.gid(),
                stat.isDirectory() ? 0 : stat.size(),
                stat.modified().to(TimeUnit.NANOSECONDS),
                entry.linkTarget(),
                device ? PosixFiles.major(rdev) : 0,
                device ? PosixFiles.minor(rdev) : 0,
                Map.of());
    }

    /** Go's os.FileMode: permission bits, with setuid, setgid, sticky and the file type as high bits. */
    static int goMode(FileStat stat) {
        int permissions = stat.permissions();
        int mode = permissions & 0777;
        if ((permissions & 04000) != 0) {
            mode |= Stat.MODE_SETUID;
        }
        if ((permissions & 02000) != 0) {
            mode |= Stat.MODE_SETGID;
        }
        if ((permissions & 01000) != 0) {
            mode |= Stat.MODE_STICKY;
        }
        return mode
                | switch (stat.type()) {
                    case REGULAR -> 0;
                    case DIRECTORY -> Stat.MODE_DIR;
                    case SYMLINK -> Stat.MODE_SYMLINK;
                    case BLOCK_DEVICE -> Stat.MODE_DEVICE;
                    case CHAR_DEVICE -> Stat.MODE_DEVICE | Stat.MODE_CHAR_DEVICE;
                    case FIFO -> Stat.MODE_NAMED_PIPE;
                    case SOCKET -> Stat.MODE_SOCKET;
                };
    }
}
