package dev.kiln.api.session;

import dev.kiln.api.filesync.BytesMessage;
import dev.kiln.api.filesync.FileSendGrpc;
import dev.kiln.api.fsutil.Packet;
import io.grpc.BindableService;
import io.grpc.Metadata;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Client role of FileSend.DiffCopy (BuildKit's SyncTarget): receives the exports the daemon pushes, each into
 * the {@link FileTarget} registered for its exporter index. A file arrives as BytesMessages; a directory as
 * fsutil packets, merged into the directory with the client's own uid and gid.
 */
public final class FileSendService implements BindableService {

    private final Map<Integer, FileTarget> targets;

    /** {@code targets}: by exporter index in SolveRequest.Exporters. */
    public FileSendService(Map<Integer, FileTarget> targets) {
        this.targets = Map.copyOf(targets);
    }

    @Override
    public ServerServiceDefinition bindService() {
        ServiceDescriptor service = ServiceDescriptor.newBuilder(FileSendGrpc.SERVICE_NAME)
                .addMethod(FileSendMethods.RAW)
                .build();
        return ServerServiceDefinition.builder(service)
                .addMethod(FileSendMethods.RAW, CallStream.<byte[], byte[]>handler("filesend-diffcopy", this::diffCopy))
                .build();
    }

    private void diffCopy(CallStream.Server<byte[], byte[]> stream, Metadata headers) throws Exception {
        int id = FileSendMethods.exporterId(headers);
        FileTarget target = targets.get(id);
        if (target == null) {
            throw Status.UNKNOWN
                    .withDescription("exporter " + id + " not found")
                    .asException();
        }
        switch (target) {
            case FileTarget.ToDirectory(Path dir) -> {
                if (!Files.isDirectory(dir)) {
                    Files.createDirectories(
                            dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                }
                FsReceiver.receive(new PacketWire(stream), dir, true, currentOwner(), false);
            }
            case FileTarget.ToStream(OutputStream out) -> {
                byte[] message;
                while ((message = stream.receive()) != null) {
                    BytesMessage.parseFrom(message).getData().writeTo(out);
                }
                out.flush();
                // stdout is a PrintStream, which keeps its write errors to itself: a full disk would pass as done
                if (out instanceof java.io.PrintStream print && print.checkError()) {
                    throw new IOException("writing the export to standard output failed");
                }
            }
            case FileTarget.ToFile(Path path) -> receiveFile(stream, path);
        }
    }

    /** Writes to a temporary file beside {@code path}, made durable and renamed over it once complete. */
    private static void receiveFile(CallStream.Server<byte[], byte[]> stream, Path path)
            throws IOException, InterruptedException {
        Path dir = path.toAbsolutePath().getParent();
        Path tmp = dir.resolve("." + path.getFileName() + ".kiln-"
                + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36));
        boolean done = false;
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            byte[] message;
            while ((message = stream.receive()) != null) {
                var buf = BytesMessage.parseFrom(message).getData().asReadOnlyByteBuffer();
                while (buf.hasRemaining()) {
                    out.write(buf);
                }
            }
            out.force(true);
            done = true;
        } finally {
            if (!done) {
                Files.deleteIfExists(tmp);
            }
        }
        Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** This process's uid and gid, which BuildKit gives every file of a local export. */
    private static FsReceiver.Owner currentOwner() throws IOException {
        Path self = Path.of("/proc/self");
        return new FsReceiver.Owner(
                (Integer) Files.getAttribute(self, "unix:uid"), (Integer) Files.getAttribute(self, "unix:gid"));
    }

    /** The raw messages of the call read and written as fsutil packets. */
    private record PacketWire(CallStream.Server<byte[], byte[]> stream) implements Wire<Packet, Packet> {
        @Override
        public Packet receive() throws IOException, InterruptedException {
            byte[] m = stream.receive();
            return m == null ? null : Packet.parseFrom(m);
        }

        @Override
        public void send(Packet message) throws IOException, InterruptedException {
            stream.send(message.toByteArray());
        }

        @Override
        public void sendNow(Packet message) throws IOException {
            stream.sendNow(message.toByteArray());
        }
    }
}
