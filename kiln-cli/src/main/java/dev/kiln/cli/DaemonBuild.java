package dev.kiln.cli;

import dev.kiln.api.DaemonEndpoint;
import dev.kiln.api.DirectAccess;
import dev.kiln.api.control.BytesMessage;
import dev.kiln.api.control.ControlGrpc;
import dev.kiln.api.session.ClientContentStores;
import dev.kiln.api.session.FileSendService;
import dev.kiln.api.session.FileSyncService;
import dev.kiln.api.session.FileTarget;
import dev.kiln.api.session.SessionHeaders;
import dev.kiln.api.session.SessionTunnel;
import dev.kiln.cli.remote.AuthService;
import dev.kiln.cli.remote.ControlCalls;
import dev.kiln.cli.remote.DaemonConnection;
import dev.kiln.cli.remote.DaemonLauncher;
import dev.kiln.cli.remote.SecretsService;
import dev.kiln.cli.remote.SshService;
import dev.kiln.core.GoBool;
import dev.kiln.solver.ProgressEvent;
import io.grpc.BindableService;
import io.grpc.Context;
import io.grpc.ServerMethodDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * {@code kiln build} as a client of a daemon: the request buildctl and buildx send for the same command line (a
 * SolveRequest with the frontend and its attributes, the exporters and the session's id), a session that serves the
 * build's local directories, OCI layouts, type=local caches, secrets, registry credentials, SSH agents and file
 * outputs, and the daemon's status stream drawn by the same displays as the embedded engine's. Loads no engine,
 * solver, worker or frontend class.
 */
final class DaemonBuild {

    /** How long to wait for a daemon the client started to answer. */
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final PrintStream out;
    private final PrintStream err;
    private final InputStream in;
    private final boolean offerDirectAccess;

    /** A client that hands the daemon its files by path when it may ({@link DirectAccess}); KILN_DIRECT=0 never. */
    DaemonBuild(PrintStream out, PrintStream err, InputStream in) {
        this(out, err, in, !"0".equals(System.getenv("KILN_DIRECT")));
    }

    DaemonBuild(PrintStream out, PrintStream err, InputStream in, boolean offerDirectAccess) {
        this.out = out;
        this.err = err;
        this.in = in;
        this.offerDirectAccess = offerDirectAccess;
    }

    /** The metadata of the frontend's answer to {@code --call}, once it has answered. */
    private final java.util.concurrent.atomic.AtomicReference<Map<String, byte[]>> answer =
            new java.util.concurrent.atomic.AtomicReference<>();

    /** {@code kiln debug STEP}: the step whose result a shell opens in; null for a build. */
    private String debugStep;

    /** This client as {@code kiln debug STEP}: it builds, then opens a shell in the result of the step. */
    DaemonBuild debugging(String step) {
        this.debugStep = step;
        return this;
    }

    /** One exporter of the request and where its files come back to, if it sends any. */
    private record Output(ControlCalls.Exporter exporter, FileTarget target, String description) {}

    /** The daemon of the command line: {@code --addr}/KILN_HOST as given, else the state's, started when needed. */
    static DaemonConnection connect(String address, Path stateDir, PrintStream err)
            throws IOException, InterruptedException {
        if (address != null && !address.isBlank()) {
            return DaemonConnection.open(address).connectNow();
        }
        return DaemonConnection.forState(
                        stateDir(stateDir), new DaemonLauncher(START_TIMEOUT), text -> err.println("kiln: " + text))
                .connectNow();
    }

    /** The state directory of the command line ({@code --state}, else KILN_STATE or the default), absolute. */
    private static Path stateDir(Path given) {
        return (given != null ? given : DaemonEndpoint.defaultStateDir())
                .toAbsolutePath()
                .normalize();
    }

    int run(Invocation invocation) throws Exception {
        long started = System.nanoTime();
        DaemonConnection.prepareCalls();
        // Connecting (and starting a daemon when none runs) overlaps with reading the command line's files.
        CompletableFuture<DaemonConnection> connecting = CompletableFuture.supplyAsync(
                () -> {
                    try {
                        return connect(invocation.address(), invocation.stateDir(), err);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new java.util.concurrent.CancellationException("interrupted while connecting");
                    }
                },
                runnable -> Thread.ofPlatform().daemon().name("kiln-connect").start(runnable));
        Progress.Display display = Progress.Display.forMode(invocation.progress(), err);
        display.onDaemon(
                invocation.address() != null && !invocation.address().isBlank()
                        ? "the daemon at " + invocation.address()
                        : "the daemon of " + stateDir(invocation.stateDir()));
        try {
            try {
                return run(invocation, started, connecting, display, offerDirectAccess);
            } catch (DirectAccessRefused refused) {
                return run(invocation, started, connecting, display, false);
            }
        } finally {
            connecting.thenAccept(DaemonConnection::close);
        }
    }

    /** The daemon refused this client's {@link DirectAccess}: the build is sent again with a session. */
    private static final class DirectAccessRefused extends Exception {
        DirectAccessRefused(Throwable cause) {
            super(cause);
        }
    }

    private int run(
            Invocation invocation,
            long started,
            CompletableFuture<DaemonConnection> connecting,
            Progress.Display display,
            boolean direct)
            throws Exception {
        Invocation.FrontendInput input = invocation.frontendInput(in);
        Map<String, Path> locals = input.locals();
        Map<String, String> attrs = input.opts();
        String frontend = input.frontend() == null ? "" : input.frontend();
        byte[] definition =
                input.definition() == null ? new byte[0] : input.definition().toByteArray();
        // What names the target for the daemon's record of the last build (its cache-miss explanations): the daemon
        // never sees the client's paths otherwise.
        var named = new StringBuilder();
        new java.util.TreeMap<>(locals)
                .forEach((name, dir) -> named.append(named.isEmpty() ? "" : "\n")
                        .append(name)
                        .append('=')
                        .append(dir));
        attrs.putIfAbsent(StatusEvents.LOCALS_ATTR, named.toString());
        if (invocation.explainCache() || invocation.progress().equals("rawjson")) {
            attrs.put(StatusEvents.EXPLAIN_ATTR, "true");
        }
        String epoch = System.getenv("SOURCE_DATE_EPOCH");
        if (epoch != null && !epoch.isEmpty()) {
            attrs.putIfAbsent("build-arg:SOURCE_DATE_EPOCH", epoch);
        }
        // The frontend runs in this process, over the daemon's gateway (a forwarded build, as buildctl and buildx run
        // theirs): a java: frontend; and for --on-error shell and kiln debug, where a failed step's files and a step's
        // result reach this client to open a shell on.
        Optional<dev.kiln.gateway.BuildFunction> frontendHere = Optional.empty();
        if (frontend.startsWith("java:")) {
            frontendHere =
                    Optional.of(dev.kiln.engine.Frontends.discover(BuildCommand.loader(invocation.frontendClasspath()))
                            .lookup(frontend)
                            .orElseThrow());
        } else if (invocation.shellOnError() || debugStep != null) {
            frontendHere = Optional.of(DebugOnFailure.solving(
                    definition.length > 0
                            ? dev.kiln.gateway.SolveRequest.of(dev.kiln.llb.pb.Definition.parseFrom(definition))
                            : dev.kiln.gateway.SolveRequest.frontend(frontend, attrs)));
        }
        if (invocation.call() != null) {
            // the answer is in the frontend result's metadata, which a Solve's response does not carry: the frontend
            // runs here and keeps it, as buildx's --call does
            String frontendName = frontend;
            frontendHere = Optional.of(FrontendCall.capturing(
                    frontendHere.orElse(
                            client -> client.solve(dev.kiln.gateway.SolveRequest.frontend(frontendName, attrs))),
                    answer));
        }
        if (frontendHere.isPresent()) {
            frontend = "";
            definition = new byte[0];
        }
        // kiln debug exports nothing: its result is the shell; nor does a question for the frontend
        List<Output> outputs = debugStep == null && invocation.call() == null ? outputs(invocation) : List.of();
        Map<String, byte[]> secrets = Secrets.parse(invocation.secrets(), System.getenv());
        Map<String, Path> agents = Secrets.parseSsh(invocation.ssh(), System.getenv());
        noticeDaemonSettings(invocation);

        String ref = newId();
        String sessionId = newId();
        Map<Integer, FileTarget> targets = new LinkedHashMap<>();
        for (int i = 0; i < outputs.size(); i++) {
            if (outputs.get(i).target() != null) {
                targets.put(i, outputs.get(i).target());
            }
        }
        // after the connection: a daemon that starts now clears the grants left from before it
        DaemonConnection daemon = connected(connecting);
        Optional<DirectAccess> access = direct && secrets.isEmpty() && agents.isEmpty()
                ? directAccess(invocation, sessionId, locals, targets)
                : Optional.empty();
        Optional<Path> grant =
                access.isEmpty() ? Optional.empty() : access.get().offer(stateDir(invocation.stateDir()));
        List<ControlCalls.Exporter> exporters = new ArrayList<>();
        for (int i = 0; i < outputs.size(); i++) {
            ControlCalls.Exporter exporter = outputs.get(i).exporter();
            if (grant.isPresent() && access.get().outputs().containsKey(i)) {
                // the daemon writes the file itself: dest names it as granted, as for the embedded engine
                Map<String, String> withDest = new LinkedHashMap<>(exporter.attrs());
                withDest.put("dest", access.get().outputs().get(i).toString());
                exporter = new ControlCalls.Exporter(exporter.type(), withDest);
            }
            exporters.add(exporter);
        }
        List<ControlCalls.CacheEntry> cacheExports = cacheEntries(invocation.cacheTo(), "dest");
        List<ControlCalls.CacheEntry> cacheImports = cacheEntries(invocation.cacheFrom(), "src");
        SessionCaches caches = grant.isPresent()
                ? SessionCaches.direct(cacheExports, cacheImports)
                : SessionCaches.throughSession(cacheExports, cacheImports, err);
        ControlCalls.SolveRequest request = new ControlCalls.SolveRequest(
                ref,
                definition,
                sessionId,
                frontend,
                attrs,
                List.copyOf(invocation.entitlements()),
                exporters,
                caches.exports(),
                caches.imports());
        Optional<LayoutExport> layoutExport = grant.isPresent() ? Optional.empty() : layoutExport(outputs);
        try {
            List<BindableService> services = grant.isPresent()
                    ? List.of()
                    : sessionServices(
                            locals,
                            invocation.ociLayouts(),
                            caches.stores(),
                            layoutExport.map(LayoutExport::dir),
                            secrets,
                            agents,
                            targets);
            return solve(
                    invocation,
                    started,
                    display,
                    daemon,
                    request,
                    ref,
                    sessionId,
                    services.isEmpty() ? "" : sharedKey(locals),
                    services,
                    outputs,
                    caches,
                    layoutExport,
                    frontendHere);
        } finally {
            if (grant.isPresent()) {
                Files.deleteIfExists(grant.get()); // the daemon deletes it when the Solve arrives
            }
        }
    }

    /**
     * The build's directories and output files by path, to hand to the daemon when it runs on this host as this user
     * so that no session serves them ({@link DirectAccess}); empty when the daemon is named by address, or when an
     * output goes to stdout.
     */
    private static Optional<DirectAccess> directAccess(
            Invocation invocation, String sessionId, Map<String, Path> locals, Map<Integer, FileTarget> targets) {
        if (invocation.address() != null && !invocation.address().isBlank()) {
            return Optional.empty(); // a daemon named by address may run anywhere
        }
        Map<Integer, Path> outputs = new LinkedHashMap<>();
        for (Map.Entry<Integer, FileTarget> target : targets.entrySet()) {
            // instanceof rather than a pattern switch, which links through a class spun at run time (PlainProgress)
            if (target.getValue() instanceof FileTarget.ToFile file) {
                outputs.put(target.getKey(), file.path());
            } else if (target.getValue() instanceof FileTarget.ToDirectory dir) {
                outputs.put(target.getKey(), dir.dir());
            } else {
                return Optional.empty(); // to a stream: only the session can carry it
            }
        }
        return Optional.of(new DirectAccess(sessionId, locals, outputs));
    }

    /**
     * The cache flags as BuildKit's CacheOptionsEntry; local paths are made absolute here, since the daemon reads
     * and writes them on this host but not from this directory.
     */
    private static List<ControlCalls.CacheEntry> cacheEntries(List<CacheSpec> specs, String pathAttr) {
        List<ControlCalls.CacheEntry> entries = new ArrayList<>();
        for (CacheSpec spec : specs) {
            Map<String, String> attrs = new LinkedHashMap<>(spec.attrs());
            if (spec.type().equals("local") && attrs.containsKey(pathAttr)) {
                attrs.put(
                        pathAttr,
                        Path.of(attrs.get(pathAttr))
                                .toAbsolutePath()
                                .normalize()
                                .toString());
            }
            entries.add(new ControlCalls.CacheEntry(spec.type(), attrs));
        }
        return entries;
    }

    /**
     * What the client serves through its session: none of it when the daemon has {@link DirectAccess}. An OCI layout
     * is served both ways the daemon may ask for it: as a local directory and as a content store; a type=local
     * cache's directory ({@code caches}) as a content store the daemon also writes to.
     */
    private static List<BindableService> sessionServices(
            Map<String, Path> locals,
            Set<String> ociLayouts,
            Set<Path> caches,
            Optional<Path> layoutExport,
            Map<String, byte[]> secrets,
            Map<String, Path> agents,
            Map<Integer, FileTarget> targets) {
        List<BindableService> services = new ArrayList<>();
        if (!locals.isEmpty()) {
            services.add(new FileSyncService(locals));
        }
        Map<String, Path> layouts = new LinkedHashMap<>(locals);
        layouts.keySet().retainAll(ociLayouts);
        ClientContentStores stores = new ClientContentStores(layouts, caches, layoutExport);
        if (!stores.isEmpty()) {
            services.add(stores);
        }
        services.add(new SecretsService(secrets));
        services.add(new AuthService());
        if (!agents.isEmpty()) {
            services.add(new SshService(agents));
        }
        if (!targets.isEmpty()) {
            services.add(new FileSendService(targets));
        }
        return services;
    }

    /** Sends the Solve (with a session serving {@code services}, when there are any) and shows its progress. */
    private int solve(
            Invocation invocation,
            long started,
            Progress.Display display,
            DaemonConnection daemon,
            ControlCalls.SolveRequest request,
            String ref,
            String sessionId,
            String sharedKey,
            List<BindableService> services,
            List<Output> outputs,
            SessionCaches caches,
            Optional<LayoutExport> layoutExport,
            Optional<dev.kiln.gateway.BuildFunction> frontendHere)
            throws Exception {
        // once a debug shell has the terminal, the build's progress stays off it
        java.util.concurrent.atomic.AtomicBoolean shellOpen = new java.util.concurrent.atomic.AtomicBoolean();
        BuildSummary summary = new BuildSummary();
        StatusEvents events = new StatusEvents();
        // the summary counts every step; the display keeps off the terminal while a debug shell has it
        Progress.Display shown = new Progress.Display() {
            @Override
            public void onEvent(ProgressEvent event) {
                summary.onEvent(event);
                if (!shellOpen.get()) {
                    display.onEvent(event);
                }
            }

            @Override
            public void onExplained(Progress.VertexExplained explained) {
                if (!shellOpen.get()) {
                    display.onExplained(explained);
                }
            }
        };
        BuildCancel call = new BuildCancel(!services.isEmpty() || frontendHere.isPresent());
        CompletableFuture<Void> statusDone = new CompletableFuture<>();
        CompletableFuture<Map<String, String>> solved = new CompletableFuture<>();
        Thread cancelOnSignal = new Thread(
                () -> {
                    if (!solved.isDone()) {
                        call.cancel("interrupted", null);
                        try {
                            // the cancel reaches the daemon as the call's reset; give it a moment to leave
                            solved.get(2, TimeUnit.SECONDS);
                        } catch (Exception ignored) {
                            // ends with the process
                        }
                        err.println("kiln: interrupted; the daemon cancels the build");
                    }
                },
                "kiln-cancel");
        Runtime.getRuntime().addShutdownHook(cancelOnSignal);
        SessionTunnel tunnel = null;
        boolean refused = false;
        try {
            if (!services.isEmpty()) {
                tunnel = call.context().call(() -> openSession(daemon, sessionId, sharedKey, services));
            }
            call.add(ControlCalls.status(daemon.channel(), ref, new StreamObserver<>() {
                @Override
                public void onNext(ControlCalls.StatusUpdate status) {
                    events.accept(status, shown);
                }

                @Override
                public void onError(Throwable t) {
                    statusDone.complete(null);
                }

                @Override
                public void onCompleted() {
                    statusDone.complete(null);
                }
            }));
            call.add(ControlCalls.solve(daemon.channel(), request, new StreamObserver<>() {
                @Override
                public void onNext(Map<String, String> response) {
                    solved.complete(response);
                }

                @Override
                public void onError(Throwable t) {
                    solved.completeExceptionally(t);
                }

                @Override
                public void onCompleted() {
                    solved.complete(Map.of());
                }
            }));
            if (frontendHere.isPresent()) {
                DebugStep.Shell shell = (target, banner) -> {
                    shellOpen.set(true);
                    display.close();
                    new ShellSession(in, out, err).run(target, banner);
                };
                dev.kiln.gateway.BuildFunction function = debugStep != null
                        ? new DebugStep(frontendHere.get(), debugStep, shell)
                        : !invocation.shellOnError()
                                ? frontendHere.get()
                                : new DebugOnFailure(
                                        frontendHere.get(),
                                        step -> shell.open(
                                                step::start,
                                                step.step()
                                                        + " failed; opening a shell in its container (its files as the "
                                                        + "step left them). Exit the shell to end the build."));
                Thread.ofPlatform()
                        .daemon()
                        .name("kiln-frontend")
                        .start(() -> call.context()
                                .run(() ->
                                        runFrontend(daemon, ref, sessionId, request.frontendAttrs(), function, call)));
            }
            Map<String, String> response;
            try {
                response = solved.get();
            } catch (ExecutionException e) {
                if (e.getCause() instanceof StatusRuntimeException status
                        && status.getStatus().getCode() == Status.Code.FAILED_PRECONDITION
                        && String.valueOf(status.getStatus().getDescription()).startsWith(DirectAccess.REFUSED)) {
                    refused = true;
                    throw new DirectAccessRefused(status);
                }
                awaitStatus(statusDone);
                display.close();
                return failed(e.getCause());
            }
            awaitStatus(statusDone);
            display.close();
            caches.record(response);
            if (layoutExport.isPresent()) {
                layoutExport.get().record(response);
            }
            if (invocation.call() != null) {
                return invocation.call().print(answer.get(), out, err);
            }
            finish(invocation, response, outputs, events, summary, Duration.ofNanos(System.nanoTime() - started));
            return 0;
        } finally {
            if (!refused) {
                display.close(); // a refused build is sent again, and shows its progress on the same display
            }
            if (tunnel != null) {
                tunnel.close();
            }
            call.cancel("the build has ended", null);
            try {
                Runtime.getRuntime().removeShutdownHook(cancelOnSignal);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: it cancelled the call
            }
        }
    }

    /**
     * What cancels a build's calls: its Solve and Status, and the io.grpc.Context that its session and a frontend
     * run here go in, when it has them. The Solve and Status are raw calls (ControlCalls), so a build with neither a
     * session nor a frontend here (a cached build's client) never brings grpc-java's Context up.
     */
    private static final class BuildCancel {

        private final Context.CancellableContext context;
        private final List<ControlCalls.Call> calls = new java.util.concurrent.CopyOnWriteArrayList<>();
        private volatile boolean cancelled;

        BuildCancel(boolean withContext) {
            this.context = withContext ? Context.current().withCancellation() : null;
        }

        /** The context for the session and a frontend; there is one when they were asked for. */
        Context.CancellableContext context() {
            return java.util.Objects.requireNonNull(context, "a build without a session or a frontend here");
        }

        void add(ControlCalls.Call call) {
            calls.add(call);
        }

        /** Whether the build's calls were cancelled: what fails in them from then on is the cancel's doing. */
        boolean isCancelled() {
            return cancelled;
        }

        /** Cancels the calls (their observers hear CANCELLED with {@code why}) and the context, with {@code cause}. */
        void cancel(String why, Throwable cause) {
            cancelled = true;
            calls.forEach(call -> call.cancel(why));
            if (context != null) {
                context.cancel(cause);
            }
        }
    }

    /**
     * Runs {@code function} as the frontend of the forwarded build {@code ref}: its gateway calls go to the daemon on
     * this client's connection, naming the build in BuildKit's header, and it ends with a Return of its result or
     * error, which the daemon's Solve then exports or fails with. A frontend that cannot start cancels the build.
     */
    private void runFrontend(
            DaemonConnection daemon,
            String ref,
            String sessionId,
            Map<String, String> attrs,
            dev.kiln.gateway.BuildFunction function,
            BuildCancel call) {
        io.grpc.Channel bridge = dev.kiln.gateway.grpc.ForwardedFrontend.bridge(daemon.channel(), ref);
        try {
            dev.kiln.gateway.grpc.LlbBridgeClient.connect(
                            bridge, new dev.kiln.gateway.grpc.BuildFacts(attrs, sessionId, "kiln", List.of()))
                    .run(function);
        } catch (InterruptedException e) {
            call.cancel("interrupted", e);
        } catch (RuntimeException e) {
            if (call.isCancelled()) {
                return; // the build ended (or was interrupted) while the frontend finished: not its failure
            }
            err.println("kiln: the build's frontend could not run here: " + e.getMessage());
            call.cancel("the build's frontend could not run: " + e.getMessage(), e);
        }
    }

    /**
     * The output whose directory the daemon writes through this client's session ({@link LayoutExport}): an oci or
     * docker output with {@code tar=false}. A session serves one such store, as buildctl's does.
     */
    private static Optional<LayoutExport> layoutExport(List<Output> outputs) throws UsageException {
        List<Path> dirs = new ArrayList<>();
        for (Output output : outputs) {
            String type = output.exporter().type();
            // as the daemon's Exporters.isLayoutDirectory tells them
            if ((type.equals("oci") || type.equals("docker"))
                    && GoBool.isFalse(output.exporter().attrs().get("tar"))
                    && output.target() instanceof FileTarget.ToFile(Path dir)) {
                dirs.add(dir);
            }
        }
        if (dirs.size() > 1) {
            throw new UsageException("one --output with tar=false per build through this daemon's session, got "
                    + dirs.size() + " (" + dirs.getFirst() + ", " + dirs.get(1) + ")");
        }
        return dirs.stream().findFirst().map(LayoutExport::new);
    }

    /** Names an image output without {@code name=} by the {@code -t} tags, as buildx and the embedded engine do. */
    private static void namedByTags(Map<String, String> attrs, Invocation invocation) {
        if (!attrs.containsKey("name") && !invocation.tags().isEmpty()) {
            attrs.put("name", String.join(",", invocation.tags()));
        }
    }

    /** The connection made alongside, with the error it met as its own. */
    private static DaemonConnection connected(CompletableFuture<DaemonConnection> connecting)
            throws IOException, InterruptedException {
        try {
            return connecting.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof java.io.UncheckedIOException io) {
                throw io.getCause();
            }
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IOException(e.getCause());
        }
    }

    /** Starts Control.Session with the headers that list the services this client answers through it. */
    /**
     * Names this client's directories across its sessions: the daemon keeps its copy of them under this key, so the
     * next build of the same directories transfers only what changed, and builds of other directories never share
     * (or overwrite) that copy.
     */
    static String sharedKey(Map<String, Path> locals) {
        StringBuilder key =
                new StringBuilder(ProcessHandle.current().info().user().orElse(""));
        new java.util.TreeMap<>(locals)
                .forEach(
                        (name, dir) -> key.append('\n').append(name).append('=').append(dir));
        return dev.kiln.core.Digest.sha256(key.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .hex()
                .substring(0, 32);
    }

    private static SessionTunnel openSession(
            DaemonConnection daemon, String sessionId, String sharedKey, List<BindableService> services) {
        List<String> methods = new ArrayList<>();
        for (BindableService service : services) {
            for (ServerMethodDefinition<?, ?> method : service.bindService().getMethods()) {
                methods.add("/" + method.getMethodDescriptor().getFullMethodName());
            }
        }
        CompletableFuture<SessionTunnel> tunnel = new CompletableFuture<>();
        // the tunnel's fromPeer blocks until its bytes are written: off the connection's reader thread
        StreamObserver<BytesMessage> toDaemon = ControlGrpc.newStub(daemon.channel())
                .withExecutor(Executors.newThreadPerTaskExecutor(
                        Thread.ofVirtual().name("kiln-session").factory()))
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(
                        SessionHeaders.of(sessionId, "kiln", sharedKey, methods)))
                .session(SessionTunnel.peerInput(tunnel::join));
        SessionTunnel serving = SessionTunnel.serve(toDaemon, services);
        tunnel.complete(serving);
        return serving;
    }

    /** The status stream ends after the solve; a daemon that keeps it open does not hold the command. */
    private static void awaitStatus(CompletableFuture<Void> statusDone) throws InterruptedException {
        try {
            statusDone.get(3, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            // the display has what arrived
        }
    }

    /** A failed solve: its message as the embedded path prints a failed build, or interrupted. */
    private int failed(Throwable cause) {
        if (cause instanceof StatusRuntimeException status) {
            if (status.getStatus().getCode() == Status.Code.CANCELLED) {
                return 130; // the signal's hook said so
            }
            if (status.getStatus().getCode() == Status.Code.UNAVAILABLE) {
                err.println("kiln: the daemon went away: " + status.getStatus().getDescription());
                return 1;
            }
            String message = status.getStatus().getDescription();
            BuildFailure.printRemote(
                    err, message == null ? status.getStatus().getCode().toString() : message, status);
            return 1;
        }
        err.println("kiln: build failed: " + cause.getMessage());
        return 1;
    }

    private void finish(
            Invocation invocation,
            Map<String, String> response,
            List<Output> outputs,
            StatusEvents events,
            BuildSummary summary,
            Duration elapsed)
            throws IOException {
        List<String> warnings = events.warnings();
        if (!warnings.isEmpty()) {
            err.println();
            err.println(warnings.size() == 1 ? "1 warning found:" : warnings.size() + " warnings found:");
            warnings.forEach(warning -> err.println(" - " + warning));
        }
        if (!invocation.progress().equals("quiet") && !invocation.progress().equals("rawjson")) {
            err.println("build finished in " + PlainProgress.seconds(elapsed) + ": " + summary.ran() + " steps run, "
                    + summary.cached() + " cached"
                    + (outputs.isEmpty()
                            ? "; no output asked for, so the result stays in the cache (add --output or -t to export it)"
                            : "; exported to "
                                    + outputs.stream().map(Output::description).collect(Collectors.joining(", "))));
        }
        if (invocation.metadataFile() != null) {
            BuildMetadata.write(invocation.metadataFile(), response, elapsed);
        }
        String imageId = response.getOrDefault("containerimage.config.digest", "");
        if (invocation.iidFile() != null) {
            if (imageId.isEmpty()) {
                err.println("kiln: --iidfile: the build made no image (add -t NAME or an image --output), so "
                        + invocation.iidFile() + " is left empty");
            }
            BuildMetadata.writeAtomically(invocation.iidFile(), imageId.getBytes(StandardCharsets.UTF_8));
        }
        boolean toStdout = outputs.stream().anyMatch(output -> output.target() instanceof FileTarget.ToStream);
        if (invocation.quiet() && !toStdout) {
            out.println(imageId);
        }
    }

    /**
     * The exporters of {@code --output}, {@code -t} and {@code --push}, as buildx sends them: {@code dest} stays
     * here (the daemon sends the files back through the session: a directory for local, a file or stdout for tar,
     * oci and docker), image outputs without {@code name=} take the {@code -t} names, {@code --push} pushes them.
     */
    private List<Output> outputs(Invocation invocation) throws UsageException {
        List<OutputSpec> specs = invocation.outputSpecs();
        List<Output> outputs = new ArrayList<>();
        for (OutputSpec spec : specs) {
            Map<String, String> attrs = new LinkedHashMap<>(spec.attrs());
            String dest = attrs.remove("dest");
            FileTarget target = null;
            String description = spec.type();
            switch (spec.type()) {
                case "local" -> {
                    if (dest == null || dest.isEmpty()) {
                        throw new UsageException("--output type=local needs dest=DIR");
                    }
                    target = new FileTarget.ToDirectory(Path.of(dest).toAbsolutePath());
                    description = "directory " + dest;
                }
                case "tar", "oci", "docker" -> {
                    if (dest == null || dest.isEmpty()) {
                        throw new UsageException(
                                "--output type=" + spec.type() + " needs dest=FILE (or dest=- for " + "stdout)");
                    }
                    target = dest.equals("-")
                            ? new FileTarget.ToStream(out)
                            : new FileTarget.ToFile(Path.of(dest).toAbsolutePath());
                    description = spec.type() + " archive " + (dest.equals("-") ? "stdout" : dest);
                    if (!spec.type().equals("tar")) {
                        namedByTags(attrs, invocation); // an image archive, as buildx names oci and docker outputs
                    }
                }
                case "image", "registry" -> {
                    namedByTags(attrs, invocation);
                    if (invocation.push() && !attrs.containsKey("push")) {
                        attrs.put("push", "true");
                    }
                    description = "image " + attrs.getOrDefault("name", "(unnamed)");
                }
                default -> {
                    if (dest != null) {
                        attrs.put("dest", dest);
                    }
                }
            }
            if (List.of("image", "registry", "oci", "docker").contains(spec.type())) {
                invocation.annotations().forEach(attrs::putIfAbsent);
            }
            outputs.add(new Output(new ControlCalls.Exporter(spec.type(), attrs), target, description));
        }
        return outputs;
    }

    /** Settings that belong to the daemon's own configuration are named once when given to a client. */
    private void noticeDaemonSettings(Invocation invocation) {
        List<String> ignored = new ArrayList<>();
        if (!invocation.runtime().equals("auto")) {
            ignored.add("--runtime");
        }
        if (!invocation.insecureRegistries().isEmpty()) {
            ignored.add("--insecure-registry");
        }
        if (invocation.stateTimeout() != null) {
            ignored.add("--state-timeout");
        }
        if (!ignored.isEmpty()) {
            err.println("kiln: " + String.join(", ", ignored) + " configure the engine in this process: the daemon "
                    + "uses its own configuration (kiln daemon --config); add --no-daemon to use them");
        }
    }

    /** A random id in BuildKit's form (25 base-36 characters), for the build's ref and its session. */
    private static String newId() throws IOException {
        // 128 bits from the kernel's random source: SecureRandom's providers took a client 10 ms to start
        byte[] random = new byte[16];
        try (InputStream urandom = Files.newInputStream(Path.of("/dev/urandom"))) {
            if (urandom.readNBytes(random, 0, random.length) != random.length) {
                throw new IOException("/dev/urandom gave fewer than 16 bytes");
            }
        }
        String id = new BigInteger(1, random).toString(36);
        return "0".repeat(Math.max(0, 25 - id.length())) + id;
    }
}
