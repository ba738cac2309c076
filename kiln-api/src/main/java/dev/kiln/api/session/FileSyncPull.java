package dev.kiln.api.session;

import dev.kiln.api.filesync.FileSyncGrpc;
import dev.kiln.api.fsutil.Packet;
import io.grpc.Channel;
import io.grpc.Status;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Daemon role of FileSync.DiffCopy (BuildKit's FSSync): receives a client directory into a target directory,
 * incrementally. Files whose stat (type, mode, owner, size, mtime) is unchanged from an earlier pull into the
 * same target are kept without asking for their content; files the client no longer sends are removed.
 */
public final class FileSyncPull {

    /**
     * What a pull did: {@code files} is the number of files whose content was transferred (new or changed),
     * {@code bytesReceived} the content bytes received.
     */
    public record Transfer(long files, long bytesReceived) {}

    private FileSyncPull() {}

    /**
     * Pulls the client's directory {@code dirName} into {@code target} (created if absent). A path that would
     * escape the target, or any other protocol violation, is an IOException naming the path; the client's own
     * errors (unknown directory, unreadable file) are IOExceptions with its message. Interrupting the calling
     * thread cancels the call.
     */
    public static Transfer pull(Channel channel, String dirName, FileFilter filter, Path target)
            throws IOException, InterruptedException {
        Files.createDirectories(target);
        CallStream.Client<Packet, Packet> stream =
                CallStream.start(channel, FileSyncGrpc.getDiffCopyMethod(), new SyncOptions(dirName, filter).encode());
        boolean done = false;
        try {
            FsReceiver.Result r = FsReceiver.receive(stream, target, false, null, true);
            done = true;
            return new Transfer(r.files(), r.bytes());
        } finally {
            if (done) {
                stream.finish();
            } else {
                stream.abort(Status.CANCELLED.withDescription("the receiver failed"));
            }
        }
    }
}
