package dev.kiln.daemon;

import dev.kiln.api.DirectAccess;
import dev.kiln.api.control.Exporter;
import dev.kiln.api.session.FileSendPush;
import dev.kiln.core.OnFirstUse;
import dev.kiln.core.Trees;
import dev.kiln.engine.export.ArchiveDestination;
import dev.kiln.engine.export.ExportDefaults;
import dev.kiln.engine.export.ExportTarget;
import dev.kiln.engine.export.Exporters;
import dev.kiln.worker.ClientContentStore;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The outputs of one Solve, as a client asks for them: the exporters' types and attributes, where a file output
 * (oci, docker, tar) carries no {@code dest} because its bytes go back to the client through the session's FileSend
 * service, and a local output is written into a directory here, then sent to the client's directory the same way.
 * The exporter's index in the request names its target at the client's end. A client with {@link DirectAccess}
 * names its files instead, and the exporters write them here as the embedded engine would.
 */
final class SessionExports implements AutoCloseable {

    /** The outputs whose files go to the client. */
    private static final java.util.Set<String> FILE_TYPES = java.util.Set.of("local", "tar", "oci", "docker");
    /** The id of the content store a client serves for a tar=false output's directory, as BuildKit names it. */
    static final String LAYOUT_STORE = "export";

    private final List<ExportTarget> targets = new ArrayList<>();
    private final List<SessionFile> files = new ArrayList<>();
    private final Map<Integer, Path> directories = new HashMap<>();
    private final Optional<ClientSession> session;
    private final Optional<DirectAccess> direct;
    private boolean layoutStoreUsed;

    private SessionExports(Optional<ClientSession> session, Optional<DirectAccess> direct) {
        this.session = session;
        this.direct = direct;
    }

    /**
     * Reads the request's outputs.
     *
     * @param scratch where local outputs are written before they are sent
     * @throws IllegalArgumentException naming the output that is wrong
     */
    static SessionExports of(
            List<Exporter> exporters,
            Optional<ClientSession> session,
            Optional<DirectAccess> direct,
            Path scratch,
            Optional<String> sourceDateEpoch)
            throws IOException {
        SessionExports exports = new SessionExports(session, direct);
        try {
            for (int index = 0; index < exporters.size(); index++) {
                exports.add(index, exporters.get(index), scratch, sourceDateEpoch);
            }
        } catch (IOException | RuntimeException e) {
            exports.abort();
            throw e;
        }
        return exports;
    }

    private void add(int index, Exporter exporter, Path scratch, Optional<String> sourceDateEpoch) throws IOException {
        Map<String, String> attrs = new HashMap<>(exporter.getAttrsMap());
        String type = exporter.getType();
        OutputStream stdout = OutputStream.nullOutputStream();
        // A client's dest names a place on the client's host, never on the daemon's: the daemon would write there
        // as root. Files go back through the session, as BuildKit's exporters send them.
        boolean toClient = FILE_TYPES.contains(type);
        if (toClient) {
            String dest = attrs.remove("dest");
            Optional<Path> granted = direct.map(access -> access.outputs().get(index));
            if (granted.isPresent() && granted.get().toString().equals(dest)) {
                attrs.put("dest", dest);
                toClient = false;
            } else if (direct.isPresent()) {
                throw new IllegalArgumentException(
                        "exporter " + type + ": dest " + dest + " is not among the files " + "its client granted");
            }
        }
        Optional<ArchiveDestination> clientLayout = Optional.empty();
        if (toClient && type.equals("local")) {
            Path dir = Files.createTempDirectory(Files.createDirectories(scratch), "local-export-");
            directories.put(index, dir);
            attrs.put("dest", dir.toString());
        } else if (toClient && Exporters.isLayoutDirectory(type, attrs)) {
            // resolved as an archive, then written to the store the client serves for its layout directory
            clientLayout = Optional.of(new ArchiveDestination.ToClientStore(layoutStore(type)));
            attrs.remove("tar");
            attrs.put("dest", "-");
        } else if (toClient) {
            SessionFile file = new SessionFile(client(type), index);
            files.add(file);
            stdout = file;
            attrs.put("dest", "-");
        }
        try {
            ExportTarget target = Exporters.resolve(
                    type, attrs, new ExportDefaults(stdout, List.of(), false, sourceDateEpoch, Map.of()));
            if (clientLayout.isPresent()) {
                target = ((ExportTarget.ImageArchiveTarget) target).to(clientLayout.get());
            }
            targets.add(target);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("exporter " + type + ": " + e.getMessage(), e);
        }
    }

    private ClientSession client(String type) {
        return session.orElseThrow(() -> new IllegalArgumentException(
                "exporter " + type + " without dest needs a session to send its output to"));
    }

    /**
     * The content store the client serves for its tar=false output's directory: the one BuildKit's exporters write
     * to, which buildctl and buildx call "export" (so a build has one such output).
     */
    private ClientContentStore layoutStore(String type) {
        ClientSession client = client(type);
        if (!client.serves(SessionContentStore.INFO)) {
            throw new IllegalArgumentException("exporter " + type + ": tar=false writes the client's directory through"
                    + " the content store its session serves, and this client's session serves none");
        }
        if (layoutStoreUsed) {
            throw new IllegalArgumentException(
                    "exporter " + type + ": one tar=false output per build: its client serves one layout store");
        }
        layoutStoreUsed = true;
        return new SessionContentStore(client.channel(), LAYOUT_STORE);
    }

    List<ExportTarget> targets() {
        return List.copyOf(targets);
    }

    /** After a successful build: finishes each file at the client's end and sends each local output. */
    void complete() throws IOException, InterruptedException {
        for (SessionFile file : files) {
            file.finish();
        }
        for (Map.Entry<Integer, Path> entry : directories.entrySet()) {
            FileSendPush.sendDirectory(client("local").channel(), entry.getKey(), entry.getValue());
        }
    }

    /** After a failed build: the client keeps no partial file. */
    void abort() {
        for (SessionFile file : files) {
            file.abort();
        }
    }

    @Override
    public void close() throws IOException {
        for (Path dir : directories.values()) {
            Trees.deleteRecursively(dir);
        }
    }

    /**
     * An export file at the client's end, opened on the first byte (a build that fails before its export sends
     * nothing) and finished only after the whole export succeeded.
     */
    private static final class SessionFile extends OutputStream {

        private final OnFirstUse<OutputStream, IOException> stream;

        SessionFile(ClientSession session, int index) {
            this.stream = new OnFirstUse<>(() -> FileSendPush.openFile(session.channel(), index, Map.of()));
        }

        @Override
        public void write(int b) throws IOException {
            stream.get().write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            stream.get().write(b, off, len);
        }

        @Override
        public void flush() throws IOException {
            Optional<OutputStream> opened = stream.made();
            if (opened.isPresent()) {
                opened.get().flush();
            }
        }

        /** The exporter never closes a stream it was handed; the build's end does, here. */
        @Override
        public void close() {}

        void finish() throws IOException {
            stream.get().close();
        }

        void abort() {
            if (stream.made().orElse(null) instanceof FileSendPush.FileStream open) {
                open.abort();
            }
        }
    }
}
