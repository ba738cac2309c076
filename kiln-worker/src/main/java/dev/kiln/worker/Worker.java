package dev.kiln.worker;

import dev.kiln.core.OnFirstUse;
import dev.kiln.core.Platform;
import dev.kiln.llb.LlbVertex;
import dev.kiln.llb.pb.Op;
import dev.kiln.oci.registry.DockerConfig;
import dev.kiln.oci.registry.RegistryClient;
import dev.kiln.solver.Operation;
import dev.kiln.solver.Result;
import dev.kiln.solver.ResultStore;
import dev.kiln.worker.fs.ChecksumIndex;
import dev.kiln.worker.fs.ContentChecksum;
import dev.kiln.worker.image.ImageStore;
import dev.kiln.worker.ops.CacheMounts;
import dev.kiln.worker.ops.ContainerMounts;
import dev.kiln.worker.ops.DiffOperation;
import dev.kiln.worker.ops.DownloadCache;
import dev.kiln.worker.ops.ExecOperation;
import dev.kiln.worker.ops.FileOperation;
import dev.kiln.worker.ops.GitSourceOperation;
import dev.kiln.worker.ops.HttpSourceOperation;
import dev.kiln.worker.ops.ImageSourceOperation;
import dev.kiln.worker.ops.LocalSnapshots;
import dev.kiln.worker.ops.LocalSourceOperation;
import dev.kiln.worker.ops.MergeOperation;
import dev.kiln.worker.ops.OciLayoutSourceOperation;
import dev.kiln.worker.ops.SecretMounts;
import dev.kiln.worker.ops.UnsupportedOperation;
import dev.kiln.worker.runtime.ContainerRuntime;
import dev.kiln.worker.runtime.Emulators;
import dev.kiln.worker.snapshot.Snapshotter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Runs ops on this machine: snapshots on overlayfs (or copies), containers through runc or crun.
 * It turns each LLB vertex into the solver's {@link Operation} and gives the solver its
 * {@link ResultStore}. Its state lives under one directory and survives the process.
 */
public final class Worker implements AutoCloseable {

    /** The source schemes of BuildKit's LLB; any other identifier is a mistake, not a missing feature. */
    private static final List<String> SOURCE_SCHEMES =
            List.of("docker-image", "git", "local", "http", "https", "oci-layout");

    private final Snapshotter snapshotter;
    private final ChecksumIndex localChecksums;
    private final ContentChecksum contextChecksums;
    private final SnapshotResults results;
    private final LocalSnapshots localSnapshots;
    private final CacheMounts cacheMounts;
    /** Found on first use, so builds without RUN steps work without runc. */
    private final OnFirstUse<ContainerRuntime, IOException> runtime;

    private final Path secretsDir;
    private final DownloadCache downloads;
    private final ImageStore images;
    private final UsageLedger ledger;
    private final SessionCopies sessionCopies;
    private final DiskUsage diskUsage;
    private final BackgroundSave saves = new BackgroundSave(this::saveLearnt);
    private final Emulators emulators = Emulators.host();

    private Worker(Path stateDir, String runtimeName, RegistryClient registry) throws IOException {
        Files.createDirectories(stateDir);
        this.ledger = new UsageLedger(
                Files.createDirectories(stateDir.resolve("usage")).resolve("records"));
        // before the snapshots: a commit that links files of committed layers has their measures forgotten
        LayerMeasures measures = new LayerMeasures(stateDir.resolve("usage").resolve("layers"));
        this.snapshotter = Snapshotter.open(stateDir.resolve("snapshots"), ledger, measures);
        // the snapshot store's lock makes this worker the state's only writer: what is half-written is a dead one's
        TemporaryFiles.sweep(stateDir);
        this.localChecksums = ChecksumIndex.open(stateDir.resolve("checksums.idx"));
        this.contextChecksums = new ContentChecksum(localChecksums);

        this.localSnapshots = new LocalSnapshots(stateDir.resolve("locals"), snapshotter, ledger);
        this.cacheMounts = new CacheMounts(stateDir.resolve("cache-mounts"), ledger);
        Path runtimeState = stateDir.resolve("runtime");
        this.runtime = new OnFirstUse<>(() -> openRuntime(runtimeName, runtimeState));
        // containers a killed process left first (they may still hold the secrets), then the secrets' tmpfs
        deleteRuntimeLeftovers(runtimeState);
        this.secretsDir = stateDir.resolve("secrets");
        SecretMounts.clean(secretsDir);
        this.downloads = new DownloadCache(stateDir.resolve("downloads"));
        this.images = new ImageStore(stateDir.resolve("images"), registry, snapshotter);
        this.results = new SnapshotResults(
                snapshotter,
                images::deferredResult,
                new ContentChecksum(ChecksumIndex.inMemory()),
                stateDir.resolve("snapshot-checksums"));
        this.sessionCopies = new SessionCopies(stateDir.resolve("session-copies"), ledger);
        this.diskUsage = new DiskUsage(snapshotter, cacheMounts, images, sessionCopies, ledger, measures);
    }

    /**
     * Opens the worker state in {@code stateDir}.
     *
     * @param runtimeName {@code auto}, {@code runc}, {@code crun} or a path to an OCI runtime
     */
    public static Worker open(Path stateDir, String runtimeName) throws IOException {
        return open(
                stateDir,
                runtimeName,
                RegistryClient.builder()
                        .credentials(DockerConfig.fromEnvironment())
                        .build());
    }

    /** As {@link #open(Path, String)}, talking to registries through {@code registry}. */
    public static Worker open(Path stateDir, String runtimeName, RegistryClient registry) throws IOException {
        return new Worker(stateDir, runtimeName, registry);
    }

    /** The directories behind RUN --mount=type=cache, by cache id. */
    public CacheMounts cacheMounts() {
        return cacheMounts;
    }

    /** A daemon's copies of its clients' directories, listed and pruned with the rest. */
    public SessionCopies sessionCopies() {
        return sessionCopies;
    }

    /** Images: their blobs, unpacked layers and registry access with this process's credentials. */
    public ImageStore images() {
        return images;
    }

    /** The images as {@code session}'s build reaches them: registries with its client's credentials. */
    public ImageStore images(BuildSession session) {
        return images.withRegistry(session.registry(images.registry()));
    }

    /** The platform this worker runs natively. */
    public static Platform hostPlatform() {
        return Platform.current();
    }

    /**
     * The platforms this worker runs, its own first and then those an emulator registered with binfmt_misc runs:
     * what the worker's info tells frontends and clients (BuildKit's worker platforms).
     */
    public List<Platform> platforms() {
        return emulators.platforms();
    }

    public ResultStore results() {
        return results;
    }

    public Snapshotter snapshotter() {
        return snapshotter;
    }

    /** The operation that runs {@code vertex}; an op this worker cannot run fails when the solver reaches it. */
    public Operation operation(LlbVertex vertex, BuildSession session) {
        Op op = vertex.op();
        return switch (vertex.kind()) {
            case SOURCE -> source(op, session);
            case EXEC ->
                new ExecOperation(
                        op, snapshotter, runtime::get, cacheMounts, new SecretMounts(session, secretsDir), emulators);
            case FILE -> new FileOperation(op, snapshotter);
            case MERGE -> new MergeOperation(op, snapshotter);
            case DIFF -> new DiffOperation(op, snapshotter);
            case BUILD ->
                new UnsupportedOperation("nested build ops are not supported; solve the inner definition "
                        + "through the gateway instead");
            case PASSTHROUGH -> new UnsupportedOperation("passthrough ops are not supported yet");
        };
    }

    private Operation source(Op op, BuildSession session) {
        String identifier = op.getSource().getIdentifier();
        if (identifier.startsWith("local://")) {
            String name = identifier.substring("local://".length());
            return new LocalSourceOperation(op, session, localSnapshots, contextChecksums);
        }
        if (identifier.startsWith("oci-layout://")) {
            return new OciLayoutSourceOperation(op, images(session), session, hostPlatform());
        }
        if (identifier.startsWith("docker-image://")) {
            return new ImageSourceOperation(op, images(session), hostPlatform());
        }
        if (identifier.startsWith("https://") || identifier.startsWith("http://")) {
            return new HttpSourceOperation(op, downloads, snapshotter);
        }
        if (identifier.startsWith("git://")) {
            return new GitSourceOperation(op, snapshotter, ledger);
        }
        int colon = identifier.indexOf("://");
        String scheme = colon < 0 ? identifier : identifier.substring(0, colon);
        if (!SOURCE_SCHEMES.contains(scheme)) {
            return new UnsupportedOperation("source " + identifier + ": unknown source type \"" + scheme
                    + "\" (LLB sources are " + String.join("://, ", SOURCE_SCHEMES) + "://)");
        }
        return new UnsupportedOperation("source " + identifier + ": " + scheme + " sources are not supported yet");
    }

    /** Mounts for a container the gateway creates: the same preparation RUN steps get. */
    public ContainerMounts containerMounts(BuildSession session) {
        return new ContainerMounts(snapshotter, cacheMounts, new SecretMounts(session, secretsDir));
    }

    /** The container runtime, chosen on first use. */
    public ContainerRuntime runtime() throws IOException {
        return runtime.get();
    }

    /** Mounts a result for reading; close the view to unmount. */
    public ReadOnlyView open(Result result) throws IOException {
        return new ReadOnlyView(snapshotter.mountReadOnly(SnapshotResult.of(result)));
    }

    /**
     * As {@link #open}, for a few reads through {@link ReadOnlyView#files} only (the gateway's readFile, statFile and
     * readDir): a result of one layer is read in place, without a mount ({@link Snapshotter#readInPlace}).
     */
    public ReadOnlyView read(Result result) throws IOException {
        return new ReadOnlyView(snapshotter.readInPlace(SnapshotResult.of(result)));
    }

    /** Persists what the worker learnt during a build (file checksums, uses), so the next process starts warm. */
    public void flush() throws IOException {
        downloads.forgetFresh();
        saveLearnt();
    }

    /**
     * As {@link #flush}, but the save runs behind the caller ({@link BackgroundSave}), for a daemon whose client waits
     * for the build's end; {@link #close} saves what is left. Throws what the last background save failed with.
     */
    public void flushSoon() throws IOException {
        downloads.forgetFresh();
        saves.request();
    }

    private void saveLearnt() throws IOException {
        try {
            localChecksums.save();
        } finally {
            ledger.save();
        }
    }

    /**
     * A build begins: until {@link #endBuild} with the same id, whatever it makes or loads is in use and no
     * {@link #remove} takes it away. Beginning twice is beginning once.
     */
    public void beginBuild(String buildId) {
        ledger.beginBuild(buildId);
    }

    public void endBuild(String buildId) {
        ledger.endBuild(buildId);
    }

    /**
     * Deletes the content store's blobs that no stored layer, named image or deferred result refers to any more
     * ({@link ImageStore#sweep}); nothing while a build runs, since a blob a running pull has just fetched is referred
     * to by nothing yet.
     *
     * @param liveChains the chain IDs (hex) of the deferred results the solver's cache still records
     * @return what it deleted, or empty while a build runs
     */
    public Optional<ImageStore.Swept> sweepContent(Set<String> liveChains) throws IOException {
        return ledger.whileIdle(() -> images.sweep(this::layerStored, liveChains));
    }

    /**
     * The content store's blobs and those {@link #sweepContent} would delete now, deleting nothing (so also while
     * builds run).
     *
     * @param liveChains the chain IDs (hex) of the deferred results the solver's cache still records
     */
    public ImageStore.ContentUse contentUse(Set<String> liveChains) throws IOException {
        return images.use(this::layerStored, liveChains);
    }

    private boolean layerStored(String layerId) {
        try {
            return Files.isDirectory(snapshotter.layerPath(layerId));
        } catch (RuntimeException notALayerId) {
            return false;
        }
    }

    /** What the worker keeps on disk: its snapshots and cache mounts, with their sizes and uses. */
    public List<StoredRecord> diskUsage() throws IOException {
        return diskUsage.records();
    }

    /**
     * Deletes a record {@link #diskUsage} listed, unless a running build uses it (then it returns empty), and tells
     * the bytes that freed. That may be less than the listed size: a file the record shares with another by hard
     * links (a COPY's layer links its local source's files) is listed at one of them, but stays while another keeps
     * a name of it. A build that wants the record later makes it again: the solver's cache entries naming a removed
     * snapshot are misses.
     */
    public OptionalLong remove(StoredRecord record) throws IOException {
        return diskUsage.remove(record);
    }

    /** Saves the records' uses now (a build's end does it too), e.g. after a prune forgot some. */
    public void saveUsage() throws IOException {
        ledger.save();
    }

    /** Stops the containers still running (their rootfs is a snapshot), then saves and releases the state. */
    @Override
    public void close() throws IOException {
        try {
            Optional<ContainerRuntime> opened = runtime.made();
            if (opened.isPresent()) {
                opened.get().close();
            }
        } finally {
            try {
                saves.close();
                saveLearnt();
            } finally {
                snapshotter.close();
            }
        }
    }

    private static ContainerRuntime openRuntime(String name, Path stateDir) throws IOException {
        return name.equals("auto") ? ContainerRuntime.detect(stateDir) : ContainerRuntime.of(binary(name), stateDir);
    }

    /**
     * Deletes what a killed process left (opening the runtime does), at the worker's open rather than at the first RUN
     * step, so that no container of a dead engine keeps running with its mounts. Without leftovers the runtime is
     * still looked for only when first needed.
     */
    private void deleteRuntimeLeftovers(Path runtimeState) throws IOException {
        if (ContainerRuntime.hasLeftovers(runtimeState)) {
            try {
                runtime.get();
            } catch (IOException e) {
                // no runtime to delete them with (uninstalled since?) or a delete failed: the worker still serves
                // builds without RUN steps, and the first RUN step, opening the runtime again, says why
            }
        }
    }

    /** A runtime named by path, or by a bare name looked up on PATH and in /usr/sbin. */
    private static Path binary(String name) throws IOException {
        if (name.contains("/")) {
            return Path.of(name);
        }
        String path = System.getenv().getOrDefault("PATH", "") + ":/usr/local/sbin:/usr/sbin:/sbin";
        for (String dir : path.split(":")) {
            Path candidate = dir.isEmpty() ? null : Path.of(dir, name);
            if (candidate != null && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new IOException("OCI runtime " + name + " not found on PATH (install it: apt-get install " + name + ")");
    }
}
