package dev.kiln.api.session;

import dev.kiln.api.filesync.FileSyncGrpc;
import dev.kiln.api.fsutil.Packet;
import io.grpc.BindableService;
import io.grpc.Metadata;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import java.nio.file.Path;
import java.util.Map;

/**
 * Client role of FileSync.DiffCopy (BuildKit's fsSyncProvider): sends the named directories to the daemon as
 * fsutil packets, filtered by the include/exclude patterns and follow paths of the call's metadata. TarStream
 * is not served (BuildKit's client does not either).
 */
public final class FileSyncService implements BindableService {

    private final Map<String, Path> dirs;

    /** {@code dirs}: the directories the daemon may read, by the name it asks for ("context", "dockerfile"). */
    public FileSyncService(Map<String, Path> dirs) {
        this.dirs = Map.copyOf(dirs);
    }

    @Override
    public ServerServiceDefinition bindService() {
        return ServerServiceDefinition.builder(FileSyncGrpc.getServiceDescriptor())
                .addMethod(
                        FileSyncGrpc.getDiffCopyMethod(),
                        CallStream.<Packet, Packet>handler("filesync-diffcopy", this::diffCopy))
                .addMethod(
                        FileSyncGrpc.getTarStreamMethod(),
                        CallStream.<Packet, Packet>handler("filesync-tarstream", (stream, headers) -> {
                            throw Status.UNIMPLEMENTED
                                    .withDescription("tarstream is not supported")
                                    .asException();
                        }))
                .build();
    }

    private void diffCopy(CallStream.Server<Packet, Packet> stream, Metadata headers) throws Exception {
        SyncOptions options = SyncOptions.decode(headers);
        Path dir = dirs.get(options.dirName());
        if (dir == null) {
            throw Status.NOT_FOUND
                    .withDescription("no access allowed to dir \"" + options.dirName() + "\"")
                    .asException();
        }
        FsSender.send(stream, dir, options.filter());
    }
}
