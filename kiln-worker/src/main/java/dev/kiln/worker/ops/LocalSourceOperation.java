package dev.kiln.worker.ops;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.llb.pb.Op;
import dev.kiln.llb.pb.SourceOp;
import dev.kiln.solver.CacheMap;
import dev.kiln.solver.Operation;
import dev.kiln.solver.OperationContext;
import dev.kiln.solver.Result;
import dev.kiln.worker.BuildSession;
import dev.kiln.worker.SessionClient;
import dev.kiln.worker.SnapshotResult;
import dev.kiln.worker.TransferRate;
import dev.kiln.worker.fs.ChecksumSelector;
import dev.kiln.worker.fs.ContentChecksum;
import dev.kiln.worker.fs.FsException;
import dev.kiln.worker.fs.LocalSync;
import dev.kiln.worker.fs.ScannedTree;
import dev.kiln.worker.fs.ScopedRoot;
import dev.kiln.worker.fs.SyncOptions;
import dev.kiln.worker.fs.SyncResult;
import dev.kiln.worker.snapshot.ActiveSnapshot;
import dev.kiln.worker.snapshot.Snapshot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A {@code local://name} source: a directory on the client's host, such as the build context.
 *
 * <p>Its key is the content checksum of the directory (with its include and exclude patterns),
 * so an unchanged context is a cache hit in any later process, and touching one file changes it.
 * The snapshot is made incrementally: the previous snapshot of the same source is the parent,
 * and only what changed since is copied into the new layer.
 */
public final class LocalSourceOperation implements Operation {

    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * How many files' checksums the cache map's notes keep (see {@link #cacheMap}): enough to name the changed files
     * of an ordinary context, few enough that the record a build keeps of its steps stays small.
     */
    public static final int NOTED_FILES = 4096;
    /** The note key prefix of one file's checksum, followed by its path relative to the directory. */
    public static final String FILE_NOTE = "file:";
    /** The note that says more files were checksummed than {@link #NOTED_FILES}. */
    public static final String TRUNCATED_NOTE = "files-truncated";

    /** The cache map's note with a digest of the files the source selected, as a provenance names the context. */
    public static final String CONTENT_NOTE = "content";

    private final Op op;
    private final String name;
    private final BuildSession session;
    private final SyncOptions options;
    private final LocalSnapshots history;
    private final ContentChecksum checksums;
    /** What the cache key's checksum found in the context, for the sync to use instead of walking it again. */
    private final AtomicReference<ScannedTree> scanned = new AtomicReference<>();

    /** The session's client gives the directory when the step first needs it (a daemon's client sends it then). */
    public LocalSourceOperation(Op op, BuildSession session, LocalSnapshots history, ContentChecksum checksums) {
        SourceOp source = op.getSource();
        this.op = op;
        this.name = source.getIdentifier().substring("local://".length());
        this.session = session;
        this.options = SyncOptions.buildContext()
                .withIncludePatterns(patterns(source, "local.includepattern"))
                .withExcludePatterns(patterns(source, "local.excludepatterns"))
                .withFollowPaths(patterns(source, "local.followpaths"));
        this.history = history;
        this.checksums = checksums;
    }

    private static List<String> patterns(SourceOp source, String key) {
        String value = source.getAttrsOrDefault(key, "");
        if (value.isEmpty()) {
            return List.of();
        }
        try {
            return JSON.readValue(value, new TypeReference<List<String>>() {});
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    "local source " + source.getIdentifier() + ": attribute " + key + " is not a JSON list of strings: "
                            + value,
                    e);
        }
    }

    @Override
    public CacheMap cacheMap(OperationContext ctx) throws Exception {
        Path context = context();
        var listing = new ContentChecksum.Listing(NOTED_FILES);
        String content = contextChecksum(context, listing);
        var notes = new java.util.LinkedHashMap<String, String>();
        notes.put(
                CONTENT_NOTE,
                dev.kiln.core.Digest.sha256(content.getBytes(StandardCharsets.UTF_8))
                        .toString());
        listing.entries().forEach((path, entry) -> notes.put(FILE_NOTE + path, entry));
        // for the sync that follows, which takes it only where it walks the same tree with the same patterns
        scanned.set(listing.scanned().orElse(null));
        if (listing.truncated()) {
            notes.put(TRUNCATED_NOTE, String.valueOf(NOTED_FILES));
        }
        return OpKeys.bySourceContent(keyedOp(), content).withNotes(notes);
    }

    /**
     * The op without what differs between otherwise identical builds: the session and the unique
     * id name the client, not the files. The content checksum is what keys the files, so the same
     * context sent by a new session (every CLI run is one) is a cache hit.
     */
    private Op keyedOp() {
        SourceOp.Builder source =
                op.getSource().toBuilder().removeAttrs("local.session").removeAttrs("local.unique");
        return op.toBuilder().clearInputs().setSource(source).build();
    }

    /**
     * The content of what the sync transfers. Follow paths narrow the transfer to themselves (added
     * to any include patterns) plus what their symlinks point to inside the context, so they narrow
     * the checksum the same way, and each followed path adds the content it resolves to: editing
     * the file a symlinked Dockerfile points to changes the key, editing an unrelated file does not.
     */
    private String contextChecksum(Path context, ContentChecksum.Listing listing) throws IOException {
        List<String> follow = options.followPaths();
        boolean everything = follow.isEmpty() || follow.stream().anyMatch(LocalSourceOperation::isRoot);
        List<String> includes = options.includePatterns();
        if (!everything) {
            includes = new ArrayList<>(includes);
            includes.addAll(follow);
        }
        StringBuilder content = new StringBuilder(checksums.checksum(
                context, new ChecksumSelector("/", true, false, includes, options.excludePatterns()), listing));
        if (!everything) {
            ScopedRoot scope = new ScopedRoot(context);
            for (String path : follow) {
                content.append("\nfollow ")
                        .append(path)
                        .append(' ')
                        .append(
                                ChecksumSelector.of(path).wildcard() || resolvesInside(scope, path)
                                        ? checksums.followedChecksum(context, path)
                                        : "absent");
            }
        }
        return content.toString();
    }

    /**
     * The directory the client named, with symlinks on the way to it resolved: a context given as
     * a link to a directory is that directory (the links inside it are still sent as links).
     */
    private Path context() throws IOException {
        SessionClient.DirectoryRequest request = new SessionClient.DirectoryRequest(
                options.includePatterns(),
                options.excludePatterns(),
                options.followPaths(),
                op.getSource().getAttrsOrDefault("local.sharedkeyhint", name));
        Path dir = session.localDir(name, request)
                .orElseThrow(() -> new IOException(
                        "local source '" + name + "' was not given a directory (pass --local " + name + "=DIR)"));
        if (!Files.isDirectory(dir)) {
            throw new IOException("local source '" + name + "': " + dir + " is not a directory");
        }
        return dir.toRealPath();
    }

    private static boolean isRoot(String path) {
        return Path.of("/", path).normalize().equals(Path.of("/"));
    }

    /** A follow path that is missing, or whose symlinks lead out of the context, brings nothing along. */
    private static boolean resolvesInside(ScopedRoot context, String path) {
        try {
            return Files.exists(context.resolve(path), LinkOption.NOFOLLOW_LINKS);
        } catch (FsException outside) {
            return false;
        }
    }

    @Override
    public List<Result> exec(OperationContext ctx, List<Result> inputs) throws Exception {
        Path context = context();
        String historyKey = op.getSource().getAttrsOrDefault("local.sharedkeyhint", name) + "\n" + context;
        Snapshot parent = history.latest(historyKey).orElse(Snapshot.SCRATCH);
        Snapshot made;
        try (ActiveSnapshot active = history.snapshotter().prepare(parent)) {
            long started = System.nanoTime();
            SyncResult sync = LocalSync.sync(context, active.mount(), options, scanned.getAndSet(null));
            byte[] line = describe(sync, System.nanoTime() - started).getBytes(StandardCharsets.UTF_8);
            ctx.log(1, line, 0, line.length);
            made = active.commit();
        }
        history.record(historyKey, made);
        return List.of(new SnapshotResult(made));
    }

    private static String describe(SyncResult sync, long nanos) {
        return "transferred " + sync.filesCopied() + " files, " + TransferRate.describe(sync.bytesCopied(), nanos)
                + "; removed " + sync.removed() + ", unchanged " + sync.unchanged() + "\n";
    }
}
