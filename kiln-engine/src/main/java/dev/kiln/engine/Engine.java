package dev.kiln.engine;

import dev.kiln.core.ImageReference;
import dev.kiln.engine.attest.AttestationRequest;
import dev.kiln.engine.attest.ProvenanceRecorder;
import dev.kiln.engine.attest.ResultAttestations;
import dev.kiln.engine.attest.SbomScanner;
import dev.kiln.engine.cache.BuildCache;
import dev.kiln.engine.cache.CacheExport;
import dev.kiln.engine.cache.CacheImport;
import dev.kiln.engine.cache.CacheMountLayer;
import dev.kiln.engine.cache.CacheRecords;
import dev.kiln.engine.cache.ImportedCache;
import dev.kiln.engine.cache.LocalCacheExporter;
import dev.kiln.engine.cache.RegistryCacheExporter;
import dev.kiln.engine.explain.CacheExplainer;
import dev.kiln.engine.export.EarlyLayers;
import dev.kiln.engine.export.ExportTarget;
import dev.kiln.engine.export.ImagePusher;
import dev.kiln.engine.export.InlineCache;
import dev.kiln.engine.gateway.BuildContext;
import dev.kiln.engine.gateway.LocalClient;
import dev.kiln.engine.gateway.SolvedReference;
import dev.kiln.gateway.BuildFunction;
import dev.kiln.gateway.BuildOpts;
import dev.kiln.gateway.GatewayException;
import dev.kiln.gateway.Result;
import dev.kiln.gateway.SolveRequest;
import dev.kiln.gateway.StartRequest;
import dev.kiln.gateway.WorkerInfo;
import dev.kiln.llb.LlbEdge;
import dev.kiln.llb.LlbGraph;
import dev.kiln.llb.LlbVertex;
import dev.kiln.llb.pb.ExecOp;
import dev.kiln.llb.pb.Platform;
import dev.kiln.oci.CacheConfig;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.registry.DockerConfig;
import dev.kiln.oci.registry.RegistryClient;
import dev.kiln.solver.CacheStore;
import dev.kiln.solver.ProgressListener;
import dev.kiln.solver.Solver;
import dev.kiln.worker.BuildSession;
import dev.kiln.worker.ClientContentStore;
import dev.kiln.worker.SnapshotResult;
import dev.kiln.worker.Worker;
import dev.kiln.worker.image.ImageStore;
import dev.kiln.worker.ops.ExecFailedException;
import dev.kiln.worker.ops.FailedStep;
import dev.kiln.worker.snapshot.Snapshot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * The embedded build engine: open it on a state directory, run builds, close it. Builds may run
 * concurrently; identical steps among them run once.
 */
public final class Engine implements AutoCloseable {

    private static final String PRODUCT = "kiln";
    /** The frontend option in which Kiln's daemon client names its local directories (name=path lines). */
    public static final String LOCALS_OPT = "kiln:locals";

    private final EngineOptions options;
    private final Worker worker;
    private final Solver solver;
    private final Frontends frontends;
    private final StateLock stateLock;
    private final List<GcPolicy> gcPolicies;

    private Engine(
            EngineOptions options,
            StateLock stateLock,
            Worker worker,
            Solver solver,
            Frontends frontends,
            List<GcPolicy> gcPolicies) {
        this.options = options;
        this.stateLock = stateLock;
        this.worker = worker;
        this.solver = solver;
        this.frontends = frontends;
        this.gcPolicies = gcPolicies;
    }

    public static Engine open(EngineOptions options) throws IOException {
        return open(options, Frontends.discover(Engine.class.getClassLoader()));
    }

    public static Engine open(EngineOptions options, Frontends frontends) throws IOException {
        return open(options, frontends, notice -> {});
    }

    /**
     * Opens the engine on its state directory. Another process's engine on the same directory is
     * waited for, up to {@link EngineOptions#stateTimeout()}; {@code notices} hears once that the wait
     * began and for whom.
     */
    public static Engine open(EngineOptions options, Frontends frontends, java.util.function.Consumer<String> notices)
            throws IOException {
        StateLock lock;
        try {
            lock = StateLock.acquire(options.stateDir(), options.stateTimeout(), notices);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while waiting for state " + options.stateDir());
        }
        try {
            Worker worker = Worker.open(
                    options.stateDir().resolve("worker"),
                    options.runtime(),
                    RegistryClient.builder()
                            .credentials(DockerConfig.fromEnvironment())
                            .insecure(options.insecureRegistries())
                            .build());
            CacheStore cache = new CacheStore(options.stateDir().resolve("cache"));
            List<GcPolicy> policies = !options.gc()
                    ? List.of()
                    : !options.gcPolicies().isEmpty()
                            ? options.gcPolicies()
                            : GcPolicy.defaults(java.nio.file.Files.getFileStore(options.stateDir())
                                    .getTotalSpace());
            return new Engine(options, lock, worker, new Solver(cache, worker.results()), frontends, policies);
        } catch (IOException | RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    public EngineOptions options() {
        return options;
    }

    /**
     * Runs one build: the frontend produces a result, which each export target then receives.
     * Progress of every step goes to {@code progress} as it happens.
     */
    public BuildOutcome build(BuildRequest request, ProgressListener progress)
            throws BuildException, InterruptedException {
        return build(
                request,
                new BuildSession(
                        UUID.randomUUID().toString(), request.localDirs(), request.secrets(), request.sshSockets()),
                progress);
    }

    /**
     * Runs one build for a client in another process (a daemon's): the build asks {@code session}'s client for
     * its directories, secrets and agents when a step needs them, instead of the request's maps.
     */
    public BuildOutcome build(BuildRequest request, BuildSession session, ProgressListener progress)
            throws BuildException, InterruptedException {
        long start = System.nanoTime();
        List<Warning> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<RegistryClient> importClients = new ArrayList<>();
        BuildCache cache = new BuildCache(openImports(request.cacheImports(), session, warnings, importClients));
        BuildContext context = context(
                request,
                session,
                progress,
                warnings,
                cache,
                EarlyLayers.forBuild(request.exports(), request.cacheExports(), worker, progress));
        LocalClient client = new LocalClient(context, request.frontendOpts(), Map.of());
        Result result;
        List<CacheMiss> misses;
        boolean handedToDebugger = false;
        java.time.Instant startedOn = java.time.Instant.now();
        try {
            AttestationRequest attest = attestationRequest(request);
            result = run(request.frontend(), client);
            if (request.exports().isEmpty()) {
                evaluateAll(result);
            } else if (attest.any() || !result.attestations().isEmpty()) {
                result = attest(request, attest, result, session, cache, startedOn, progress);
            }
            if (context.earlyLayers().everyStep()) {
                // the steps run here, not inside the first export, so the layers they queue are all written (each
                // after those it copies from) before an export asks for them
                evaluateAll(result);
                context.earlyLayers().awaitEveryStep();
            }
            InlineCache inline = inlineCache(request, result, cache, context.warnings());
            for (ExportTarget target : request.exports()) {
                result = export(result, target, session, progress, inline);
            }
            for (CacheExport target : request.cacheExports()) {
                result = exportCache(
                        result,
                        cache,
                        target,
                        target.cacheMounts() ? CacheMountLayer.idsOf(context.graphs()) : Set.of(),
                        session,
                        progress,
                        context.warnings());
            }
            misses = explainCache(request, cache, context);
        } catch (GatewayException e) {
            FailedStep step = ExecFailedException.stepOf(e);
            String message = StateDisk.explain(e.getMessage(), e, options.stateDir());
            List<CacheMiss> ranBefore = explainFailure(request, cache, context);
            if (step != null && request.debugOnFailure()) {
                handedToDebugger = true;
                throw new BuildException(message, e, DebugShell.ofFailure(context, step), ranBefore);
            }
            // the failed step's files go with the build's end (BuildContext.releaseContainers), as every failure's do
            throw new BuildException(message, e, null, ranBefore);
        } catch (BuildException e) {
            String message = StateDisk.explain(e.getMessage(), e, options.stateDir());
            List<CacheMiss> ranBefore = explainFailure(request, cache, context);
            if (!message.equals(e.getMessage())) {
                throw new BuildException(message, e, null, ranBefore);
            }
            if (!ranBefore.isEmpty()) {
                throw new BuildException(message, e.getCause(), e.debugShell().orElse(null), ranBefore);
            }
            throw e;
        } finally {
            // before the build lets go of its snapshots: a layer written ahead reads its snapshot's files
            context.earlyLayers().close();
            if (!handedToDebugger) {
                context.releaseContainers();
            }
            flushQuietly(context);
            importClients.forEach(RegistryClient::close);
        }
        return new BuildOutcome(
                result, List.copyOf(context.warnings()), Duration.ofNanos(System.nanoTime() - start), misses);
    }

    /**
     * Why each step that ran did not come from the cache, compared with the last build of the same target, whose
     * record this build then replaces. A record that cannot be written is a warning: it costs the next build its
     * explanations, nothing else.
     */
    private List<CacheMiss> explainCache(BuildRequest request, BuildCache cache, BuildContext context) {
        Map<String, LlbVertex> vertices = verticesOf(context);
        String target = explainTarget(request);
        if (target == null) {
            return List.of();
        }
        try {
            return new CacheExplainer(options.stateDir(), target, request.frontendOpts())
                    .explainAndRecord(cache.steps(), vertices);
        } catch (IOException | RuntimeException e) {
            context.warnings()
                    .add(new Warning(
                            "",
                            "could not record this build's steps to explain the next " + "build's cache misses: "
                                    + e.getMessage(),
                            dev.kiln.gateway.WarnOpts.none()));
            return List.of();
        }
    }

    /**
     * For a build that failed, why each step that ran before the failure missed the cache. The build's steps are not
     * recorded: the next build is compared with the last one that succeeded.
     */
    private List<CacheMiss> explainFailure(BuildRequest request, BuildCache cache, BuildContext context) {
        String target = explainTarget(request);
        if (target == null) {
            return List.of();
        }
        try {
            return new CacheExplainer(options.stateDir(), target, request.frontendOpts())
                    .explain(cache.steps(), verticesOf(context));
        } catch (RuntimeException e) {
            // the failure is what the user needs to see; its explanations are extra
            return List.of();
        }
    }

    private static Map<String, LlbVertex> verticesOf(BuildContext context) {
        var vertices = new java.util.HashMap<String, LlbVertex>();
        for (LlbGraph graph : context.graphs()) {
            for (LlbVertex vertex : graph.vertices()) {
                vertices.putIfAbsent(vertex.digest().toString(), vertex);
            }
        }
        return vertices;
    }

    /**
     * What names a build's target for {@link CacheExplainer}: the frontend with the Dockerfile's name, the directory
     * it was read from and the --target stage; for an LLB definition, the local directories it reads (its root
     * digest changes with every edit, so it would never find its last build). Through a daemon the client names its
     * directories in the {@value #LOCALS_OPT} frontend option. Null when nothing names the directories (a client
     * other than Kiln's through the daemon): two projects would then share one record and be compared.
     */
    static String explainTarget(BuildRequest request) {
        Map<String, String> opts = request.frontendOpts();
        var target = new StringBuilder();
        switch (request.frontend()) {
            case FrontendSpec.Llb llb -> target.append("llb");
            case FrontendSpec.Named(var name) -> target.append("frontend ").append(name);
            case FrontendSpec.Function(var name, var function) ->
                target.append("function ").append(name);
        }
        if (!(request.frontend() instanceof FrontendSpec.Llb)) {
            target.append("\nfilename ")
                    .append(opts.getOrDefault("filename", "Dockerfile"))
                    .append("\ntarget ")
                    .append(opts.getOrDefault("target", ""));
        }
        if (!request.localDirs().isEmpty()) {
            new java.util.TreeMap<>(request.localDirs())
                    .forEach((name, dir) -> target.append("\nlocal ")
                            .append(name)
                            .append('=')
                            .append(dir.toAbsolutePath().normalize()));
        } else if (!opts.getOrDefault(LOCALS_OPT, "").isEmpty()) {
            target.append("\nlocals ").append(opts.get(LOCALS_OPT));
        } else {
            return null;
        }
        return target.toString();
    }

    /**
     * Runs the build (its steps come from the cache when nothing changed), then opens the way into
     * the step {@code selector} names: a vertex digest or its prefix, or text in the step's name.
     * The shell's root is the step's result; a RUN step's environment, user and directory apply.
     */
    public DebugShell debug(BuildRequest request, String selector, ProgressListener progress)
            throws BuildException, InterruptedException {
        BuildSession session = new BuildSession(
                UUID.randomUUID().toString(), request.localDirs(), request.secrets(), request.sshSockets());
        BuildContext context = context(request, session, progress, null, null, EarlyLayers.none());
        try {
            run(request.frontend(), new LocalClient(context, request.frontendOpts(), Map.of()));
            for (LlbGraph graph : context.graphs()) {
                for (LlbVertex vertex : graph.vertices()) {
                    if (vertex.digest().toString().startsWith(selector)
                            || vertex.digest().hex().startsWith(selector)
                            || vertex.name().contains(selector)) {
                        return openStep(context, graph, vertex);
                    }
                }
            }
        } catch (GatewayException e) {
            context.releaseContainers();
            throw new BuildException(e.getMessage(), e);
        }
        context.releaseContainers();
        throw new BuildException("no step of this build matches \"" + selector + "\"; give text of a step's name "
                + "(as progress shows it) or its digest");
    }

    private static DebugShell openStep(BuildContext context, LlbGraph graph, LlbVertex vertex)
            throws InterruptedException {
        SolvedReference ref = SolvedReference.of(context, graph, new LlbEdge(vertex, 0));
        Snapshot result = SnapshotResult.of(ref.solved().result());
        ExecOp exec = StartRequest.settingsOf(vertex);
        return DebugShell.ofResult(context, vertex.name(), result, exec);
    }

    /** A checksum index that could not be saved costs the next build some hashing, never correctness. */
    private void flushQuietly(BuildContext context) {
        try {
            if (options.backgroundSaves()) {
                worker.flushSoon();
            } else {
                worker.flush();
            }
        } catch (IOException e) {
            context.warnings()
                    .add(new Warning(
                            "", "could not save file checksums: " + e.getMessage(), dev.kiln.gateway.WarnOpts.none()));
        }
    }

    private Result run(FrontendSpec frontend, LocalClient client) throws BuildException, InterruptedException {
        return switch (frontend) {
            case FrontendSpec.Llb(var definition) ->
                client.solve(SolveRequest.of(definition).withEvaluate(true));
            case FrontendSpec.Named(var name) ->
                client.solve(SolveRequest.frontend(name, client.buildOpts().opts()));
            case FrontendSpec.Function(var name, var function) -> runFunction(name, function, client);
        };
    }

    private static Result runFunction(String name, BuildFunction function, LocalClient client)
            throws BuildException, InterruptedException {
        try {
            return function.build(client);
        } catch (GatewayException | InterruptedException e) {
            throw e;
        } catch (Exception e) {
            throw new BuildException("frontend " + name + " failed: " + e.getMessage(), e);
        }
    }

    /** The attestations the build's options ask for; a malformed request fails the build before it runs. */
    private static AttestationRequest attestationRequest(BuildRequest request) throws BuildException {
        try {
            return AttestationRequest.parse(request.frontendOpts());
        } catch (IllegalArgumentException e) {
            throw new BuildException(e.getMessage(), e);
        }
    }

    /**
     * Solves the result and adds the attestations asked for: each platform's SBOM and provenance, made from its
     * files, its graph and what each source resolved to in this build.
     */
    private Result attest(
            BuildRequest request,
            AttestationRequest attest,
            Result result,
            BuildSession session,
            BuildCache cache,
            java.time.Instant startedOn,
            ProgressListener progress)
            throws BuildException, InterruptedException {
        evaluateAll(result);
        Map<String, Map<String, String>> pins = new java.util.HashMap<>();
        for (dev.kiln.solver.KeyedStep step : cache.steps()) {
            if (!step.notes().isEmpty()) {
                pins.putIfAbsent(step.vertexDigest(), step.notes());
            }
        }
        String frontend = switch (request.frontend()) {
            case FrontendSpec.Llb llb -> "";
            case FrontendSpec.Named(var name) -> name;
            case FrontendSpec.Function(var name, var function) -> name;
        };
        ProvenanceRecorder recorder = new ProvenanceRecorder(
                frontend, request.frontendOpts(), session.id(), startedOn, dev.kiln.core.Platform.current(), pins);
        try {
            return ResultAttestations.attach(result, attest, recorder, new SbomScanner(PRODUCT), progress);
        } catch (IOException e) {
            throw new BuildException("making attestations failed: " + e.getMessage(), e);
        }
    }

    /**
     * Solves every reference of a result nobody exports. Frontends hand back references that are
     * solved on demand; without this, a build with no output would run nothing and pass even where
     * a step fails (buildctl and docker build solve the whole result in that case too).
     */
    private static void evaluateAll(Result result) throws InterruptedException {
        if (result.ref().isPresent()) {
            result.ref().get().evaluate();
        }
        for (dev.kiln.gateway.Reference ref : result.refs().values()) {
            ref.evaluate();
        }
    }

    /** Exports the result; the export's facts (an image's digests) join the result's metadata. */
    private Result export(
            Result result, ExportTarget target, BuildSession session, ProgressListener progress, InlineCache inline)
            throws BuildException, InterruptedException {
        try {
            Result exported = result;
            for (Map.Entry<String, String> fact : target.exporter()
                    .export(result, worker, session, progress, inline)
                    .entrySet()) {
                exported = exported.withMetadata(fact.getKey(), fact.getValue().getBytes(StandardCharsets.UTF_8));
            }
            return exported;
        } catch (IOException e) {
            throw new BuildException(
                    "export to " + target.exporter().describe() + " failed: " + dev.kiln.core.IoFailure.describe(e), e);
        }
    }

    /**
     * The caches a build may import from. One that cannot be read is a warning, as in BuildKit: the build runs the
     * steps it would have imported.
     */
    private List<ImportedCache> openImports(
            List<CacheImport> imports, BuildSession session, List<Warning> warnings, List<RegistryClient> clients) {
        List<ImportedCache> opened = new ArrayList<>();
        for (CacheImport spec : imports) {
            try {
                ImportedCache imported = switch (spec) {
                    case CacheImport.Local local ->
                        local.clientStore().isEmpty()
                                ? ImportedCache.open(local, worker.images())
                                : ImportedCache.open(local, worker.images(), clientStore(session, local.clientStore()));
                    case CacheImport.Registry registry -> {
                        ImageStore images = worker.images(session);
                        if (registry.insecure()) {
                            RegistryClient insecure = ImagePusher.insecureClient(
                                    session,
                                    Set.of(ImageReference.parseNormalized(registry.ref())
                                            .domain()));
                            clients.add(insecure);
                            images = images.withRegistry(insecure);
                        }
                        yield ImportedCache.open(registry, images, Worker.hostPlatform());
                    }
                };
                opened.add(imported);
            } catch (IOException | RuntimeException e) {
                warnings.add(new Warning(
                        "",
                        "cache import " + spec + " is not used: " + e.getMessage(),
                        dev.kiln.gateway.WarnOpts.none()));
            }
        }
        for (ImportedCache imported : opened) {
            try {
                // before any step runs, so the steps that mount them find them warm
                imported.restoreCacheMounts(worker.cacheMounts());
            } catch (IOException | RuntimeException e) {
                warnings.add(new Warning(
                        "",
                        "cache mounts of " + imported.source() + " are not restored: " + e.getMessage(),
                        dev.kiln.gateway.WarnOpts.none()));
            }
        }
        return opened;
    }

    /**
     * Exports the build's cache after its result has been exported, so the layers the image export compressed are
     * reused. With {@code ignore-error=true} a failure is a warning.
     */
    private Result exportCache(
            Result result,
            BuildCache cache,
            CacheExport target,
            Set<String> cacheMountIds,
            BuildSession session,
            ProgressListener progress,
            List<Warning> warnings)
            throws BuildException, InterruptedException {
        Set<String> resultKeys = resultKeys(result);
        try {
            switch (target) {
                case CacheExport.Local local -> {
                    Optional<ClientContentStore> client = local.clientStore().isEmpty()
                            ? Optional.empty()
                            : Optional.of(clientStore(session, local.clientStore()));
                    Descriptor[] manifest = new Descriptor[1];
                    dev.kiln.engine.export.ExportLog.run(progress, "exporting cache to client directory", log -> {
                        manifest[0] = LocalCacheExporter.export(
                                local, cache.steps(), resultKeys, cacheMountIds, worker, client, log);
                        return Map.of();
                    });
                    if (client.isPresent()) {
                        // buildctl and buildx write the directory's index.json from it, as BuildKit answers
                        return result.withMetadata(CACHE_MANIFEST, manifest[0].toJson());
                    }
                }
                case CacheExport.Registry registry ->
                    dev.kiln.engine.export.ExportLog.run(progress, "exporting cache to registry", log -> {
                        RegistryCacheExporter.export(
                                registry, cache.steps(), resultKeys, cacheMountIds, worker, session, log);
                        return Map.of();
                    });
                case CacheExport.Inline inline -> {
                    // written into the image config by the image export (see inlineCache)
                }
            }
        } catch (IOException | RuntimeException e) {
            if (target.ignoreError()) {
                warnings.add(new Warning(
                        "", "cache export failed (ignored): " + e.getMessage(), dev.kiln.gateway.WarnOpts.none()));
                return result;
            }
            throw new BuildException("cache export failed: " + e.getMessage(), e);
        }
        return result;
    }

    /** The content store a session's client serves under {@code id}: where a type=local cache of its host lives. */
    private static ClientContentStore clientStore(BuildSession session, String id) throws IOException {
        return session.client()
                .contentStore(id)
                .orElseThrow(() -> new IOException("the client serves no content store \"" + id
                        + "\" for its type=local cache (it sends the directory's path, but not its files)"));
    }

    /** The cache keys of the result's references, as the solver gave them. */
    private static Set<String> resultKeys(Result result) throws InterruptedException {
        Set<String> resultKeys = new java.util.HashSet<>();
        List<dev.kiln.gateway.Reference> refs = new ArrayList<>(result.refs().values());
        result.ref().ifPresent(refs::add);
        for (dev.kiln.gateway.Reference ref : refs) {
            if (ref instanceof SolvedReference solved) {
                resultKeys.add(solved.solved().cacheKey());
            }
        }
        return resultKeys;
    }

    /**
     * With {@code --cache-to type=inline}, the records of the steps the image is made of (mode=min), for the image
     * export to put into its config; a build without an image output gets a warning, as it has no config to carry
     * them.
     */
    private InlineCache inlineCache(BuildRequest request, Result result, BuildCache cache, List<Warning> warnings) {
        if (request.cacheExports().stream().noneMatch(CacheExport.Inline.class::isInstance)) {
            return InlineCache.NONE;
        }
        if (request.exports().stream().noneMatch(target -> target.exporter().carriesInlineCache())) {
            warnings.add(new Warning(
                    "",
                    "cache export type=inline needs an image output (-t NAME, --push or "
                            + "--output type=image); nothing was exported",
                    dev.kiln.gateway.WarnOpts.none()));
            return InlineCache.NONE;
        }
        return (layers, options, log) -> {
            CacheRecords records = CacheRecords.of(
                    CacheRecords.select(false, cache.steps(), resultKeys(result)), worker, options, log);
            return records.inline(layers.stream()
                            .map(layer -> layer.blob().descriptor().digest())
                            .toList())
                    .map(CacheConfig::recordsJson);
        };
    }

    /**
     * The platforms the worker runs, its own first and then each one an emulator runs, as the worker's info gives
     * them to frontends (the first is BUILDPLATFORM) and to clients.
     */
    public List<Platform> platforms() {
        List<Platform> platforms = new ArrayList<>();
        for (dev.kiln.core.Platform platform : worker.platforms()) {
            Platform.Builder wire = Platform.newBuilder().setOS(platform.os()).setArchitecture(platform.architecture());
            if (!platform.variant().isEmpty()) {
                wire.setVariant(platform.variant());
            }
            platforms.add(wire.build());
        }
        return List.copyOf(platforms);
    }

    /**
     * A new build's context on this engine, for {@code request} in {@code session}; {@code warnings} and
     * {@code cache} may be null for a fresh list and no imported cache; {@code early} writes the layers its outputs
     * need while it runs.
     */
    private BuildContext context(
            BuildRequest request,
            BuildSession session,
            ProgressListener progress,
            List<Warning> warnings,
            BuildCache cache,
            EarlyLayers early) {
        return new BuildContext(
                solver,
                worker,
                frontends,
                session,
                buildOpts(session, request),
                request.entitlements(),
                progress,
                warnings,
                null,
                null,
                cache,
                null,
                early,
                null);
    }

    private BuildOpts buildOpts(BuildSession session, BuildRequest request) {
        WorkerInfo info = new WorkerInfo(
                "local",
                Map.of(
                        "org.mobyproject.buildkit.worker.executor",
                        "oci",
                        "org.mobyproject.buildkit.worker.snapshotter",
                        worker.snapshotter().getClass().getSimpleName()),
                platforms());
        return new BuildOpts(request.frontendOpts(), session.id(), List.of(info), PRODUCT, LlbCaps.SUPPORTED, Set.of());
    }

    /** The OCI architecture name of this machine. */
    public static String hostArchitecture() {
        return switch (System.getProperty("os.arch")) {
            case "amd64", "x86_64" -> "amd64";
            case "aarch64", "arm64" -> "arm64";
            case "arm" -> "arm";
            case "ppc64le" -> "ppc64le";
            case "s390x" -> "s390x";
            case "riscv64" -> "riscv64";
            default -> System.getProperty("os.arch");
        };
    }

    /**
     * Closes the worker, then lets go of the state even when that failed, so that another engine can open it; a
     * failure of the second close is added to the first's as a suppressed exception, not lost.
     */
    @Override
    public void close() throws IOException {
        try (stateLock;
                worker) {
            // the resources close in reverse order: the worker first, the state lock last
        }
    }

    /** The exporter response that names a type=local cache's manifest for the client to write into index.json. */
    public static final String CACHE_MANIFEST = "cache.manifest";

    /** One prune at a time: a second one would only find what the first is removing. */
    private final Object pruneLock = new Object();

    /**
     * What the engine keeps on disk between builds, as {@code buildctl du} lists it: each build step's and
     * source's snapshot and each cache mount, with its size in bytes, its uses and whether a running build holds it,
     * and the content store's blobs as two internal records (those something refers to, those a sweep would delete),
     * so that the sizes add up to the state's disk use.
     *
     * @throws IllegalArgumentException if a filter is malformed (the query checks this when it is made)
     */
    public List<UsageRecord> diskUsage(DiskUsageQuery query) throws IOException {
        return new StateUsage(worker, solver.cache(), options.stateDir()).list(query);
    }

    /**
     * Where a daemon keeps its copies of its clients' directories: in this engine's state, so that disk usage lists
     * them and prune and garbage collection remove them like the rest.
     */
    public dev.kiln.worker.SessionCopies sessionCopies() {
        return worker.sessionCopies();
    }

    /**
     * Removes what {@code options} select, as {@code buildctl prune} does, and returns what it removed; each
     * removal is also reported to {@code onRemoved} as it happens, with the bytes it freed as its size (less than du
     * listed when another record keeps hard links to its files). A record a running build uses is never removed,
     * and a build after a prune runs the removed steps again.
     */
    public List<UsageRecord> prune(PruneOptions options, java.util.function.Consumer<UsageRecord> onRemoved)
            throws IOException {
        return prune(List.of(options), onRemoved);
    }

    /**
     * The policies {@link #collectGarbage} runs: {@link EngineOptions#gcPolicies()}, or buildkitd's defaults for the
     * size of the state's file system; none when GC is off.
     */
    public List<GcPolicy> gcPolicies() {
        return gcPolicies;
    }

    /**
     * Runs the GC policies in order, as buildkitd's garbage collection does, and returns what they removed (each
     * removal is also reported to {@code onRemoved}). Like any prune, it takes the least recently used records first
     * where a policy limits space, and never removes a record a running build holds; builds may run meanwhile.
     */
    public List<UsageRecord> collectGarbage(java.util.function.Consumer<UsageRecord> onRemoved) throws IOException {
        if (gcPolicies.isEmpty()) {
            return List.of();
        }
        return prune(gcPolicies.stream().map(GcPolicy::toPruneOptions).toList(), onRemoved);
    }

    /**
     * After a prune without filters: the blobs no record, named image or stored layer refers to any more (the layers
     * of pruned pulls, exported layers of pruned steps, documents), deleted while no build runs; none when a build
     * is running (the next collection gets them).
     */
    private static ImageStore.Swept sweepQuietly(StateUsage usage) {
        try {
            return usage.sweep();
        } catch (IOException | RuntimeException e) {
            // the records are pruned either way; unused blobs wait for a sweep that can read what refers to them
            return ImageStore.Swept.NONE;
        }
    }

    /** What the sweeps of a prune deleted, listed as one internal record. */
    private static UsageRecord sweptRecord(ImageStore.Swept swept) {
        return new UsageRecord(
                StateUsage.CONTENT_STORE,
                false,
                false,
                swept.bytes(),
                java.time.Instant.now(),
                null,
                0,
                swept.blobs() + " blobs of the content store no record uses any more",
                UsageRecord.INTERNAL,
                false,
                List.of());
    }

    private List<UsageRecord> prune(List<PruneOptions> passes, java.util.function.Consumer<UsageRecord> onRemoved)
            throws IOException {
        synchronized (pruneLock) {
            try {
                List<UsageRecord> removed = new ArrayList<>();
                StateUsage usage = new StateUsage(worker, solver.cache(), this.options.stateDir());
                ImageStore.Swept swept = ImageStore.Swept.NONE;
                for (PruneOptions pass : passes) {
                    StateUsage.Pruned pruned = usage.prune(pass, onRemoved);
                    removed.addAll(pruned.records());
                    swept = swept.plus(pruned.swept());
                }
                if (passes.stream().anyMatch(pass -> pass.filters().isEmpty())) {
                    // the blobs of what the passes removed; a filtered prune removes only what its filters name
                    swept = swept.plus(sweepQuietly(usage));
                }
                if (swept.blobs() > 0) {
                    UsageRecord record = sweptRecord(swept);
                    removed.add(record);
                    onRemoved.accept(record);
                }
                return removed;
            } finally {
                worker.saveUsage();
            }
        }
    }
}
