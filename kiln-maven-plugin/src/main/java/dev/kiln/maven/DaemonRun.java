package dev.kiln.maven;

import dev.kiln.api.BackgroundSolve;
import dev.kiln.api.DaemonEndpoint;
import dev.kiln.api.DirectAccess;
import dev.kiln.api.NettyLogs;
import dev.kiln.api.control.ControlGrpc;
import dev.kiln.api.control.Exporter;
import dev.kiln.api.control.SolveRequest;
import dev.kiln.api.control.SolveResponse;
import dev.kiln.api.control.StatusRequest;
import dev.kiln.api.http2.Http2Channel;
import dev.kiln.api.session.FileSendService;
import dev.kiln.api.session.FileSyncService;
import dev.kiln.api.session.FileTarget;
import dev.kiln.api.session.SessionTunnel;
import dev.kiln.core.Digest;
import dev.kiln.gateway.BuildFunction;
import dev.kiln.gateway.GatewayException;
import dev.kiln.gateway.grpc.BuildFacts;
import dev.kiln.gateway.grpc.ForwardedFrontend;
import dev.kiln.gateway.grpc.LlbBridgeClient;
import dev.kiln.oci.registry.CredentialSource;
import io.grpc.BindableService;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.netty.util.internal.logging.InternalLoggerFactory;
import io.grpc.netty.shaded.io.netty.util.internal.logging.JdkLoggerFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.logging.Log;

/**
 * One build through the Kiln daemon that holds the plugin's state, as a client of its Control API (BuildKit's
 * moby.buildkit.v1.Control): a Solve with the goal's frontend attributes and exporters, and the daemon's status
 * stream on Maven's log. The plugin's own build function runs here, in Maven's JVM, over the daemon's gateway (a
 * forwarded build, as buildctl and buildx run their frontends), so the LLB it solves is made by the same State API
 * code as on the embedded engine and the daemon exports the same image; {@code kiln:dockerfile} names the daemon's
 * Dockerfile frontend instead.
 *
 * <p>The build's directories and archives reach the daemon either by path ({@link DirectAccess}: the daemon runs on
 * this host as this user, and the plugin's registry credentials are the ones the daemon finds itself) or through a
 * session that serves them (filesync, file send) with the plugin's credentials (auth); a daemon that refuses the
 * grant gets the build again with a session.
 *
 * @param offerDirectAccess whether the plugin may hand its files over by path when its credentials allow
 */
record DaemonRun(DaemonEndpoint daemon, Path stateDir, boolean offerDirectAccess, Log log) {

    /** Messages as large as BuildKit's clients take them: a big definition or status batch. */
    private static final int MAX_MESSAGE = 64 << 20;

    /** How long the status stream may trail the Solve's answer before the log stops waiting for it. */
    private static final long STATUS_TAIL_SECONDS = 3;

    static {
        // Maven hands plugins SLF4J, which Netty would log through, past the JDK logging level that quiets grpc's
        // SO_KEEPALIVE warning on every unix socket of the session (NettyLogs): a warning per build on Maven's log.
        InternalLoggerFactory.setDefaultFactory(JdkLoggerFactory.INSTANCE);
        NettyLogs.quietKeepAliveWarnings();
    }

    /** The daemon refused the plugin's {@link DirectAccess}: the build goes again with a session. */
    private static final class DirectAccessRefused extends Exception {
        DirectAccessRefused(Throwable cause) {
            super(cause);
        }
    }

    BuiltImage run(GoalBuild build, RegistryCredentials credentials) throws MojoExecutionException {
        Path socket = DaemonEndpoint.socketPath(daemon.address())
                .orElseThrow(() -> new MojoExecutionException("kiln: the daemon of " + stateDir + " (pid "
                        + daemon.pid() + ") listens on " + daemon.address()
                        + ", and the plugin reaches a daemon on its unix socket only; "
                        + "add -Dkiln.daemon=false and a state of the plugin's own (<stateDir>)"));
        long started = System.nanoTime();
        Http2Channel channel = Http2Channel.unix(socket, MAX_MESSAGE);
        try {
            BuiltImage image;
            boolean direct = offerDirectAccess && credentials.daemonFindsTheSame();
            try {
                image = solve(channel, build, credentials, direct);
            } catch (DirectAccessRefused refused) {
                log.debug("kiln: the daemon refused direct access ("
                        + refused.getCause().getMessage() + "); sending the build's files through a session");
                image = solve(channel, build, credentials, false);
            }
            log.info(String.format(
                    "kiln: built in %.1fs by the daemon (pid %d, state %s)",
                    (System.nanoTime() - started) / 1e9, daemon.pid(), stateDir));
            return image;
        } catch (DirectAccessRefused refusedTwice) {
            throw new MojoExecutionException("kiln: the daemon refused a build without direct access", refusedTwice);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MojoExecutionException("kiln: interrupted", e);
        } catch (IOException e) {
            throw new MojoExecutionException("kiln: " + e.getMessage(), e);
        } finally {
            channel.shutdownNow();
        }
    }

    private BuiltImage solve(Http2Channel channel, GoalBuild build, CredentialSource credentials, boolean direct)
            throws MojoExecutionException, DirectAccessRefused, IOException, InterruptedException {
        String ref = UUID.randomUUID().toString();
        String session = UUID.randomUUID().toString();
        Map<Integer, Path> files = new TreeMap<>();
        for (int i = 0; i < build.outputs().size(); i++) {
            int index = i;
            build.outputs().get(i).file().ifPresent(file -> files.put(index, file));
        }
        Optional<Path> grant =
                direct ? new DirectAccess(session, build.locals(), files).offer(stateDir) : Optional.empty();
        log.info("kiln: building through the Kiln daemon of " + stateDir + " (pid " + daemon.pid() + "; the project's "
                + (grant.isPresent() ? "files by path" : "files and credentials through a session") + ")");
        SolveRequest.Builder request =
                SolveRequest.newBuilder().setRef(ref).setSession(session).putAllFrontendAttrs(build.frontendAttrs());
        if (build.frontend() instanceof GoalBuild.Frontend.Named named) {
            request.setFrontend(named.name());
        }
        for (ImageOutput output : build.outputs()) {
            Map<String, String> attrs = new LinkedHashMap<>(output.attrs());
            if (grant.isEmpty()) {
                attrs.remove("dest"); // the daemon sends the archive back through the session's file send
            }
            request.addExporters(Exporter.newBuilder()
                    .setType(output.type())
                    .putAllAttrs(attrs)
                    .build());
        }
        Context.CancellableContext call = Context.current().withCancellation();
        SessionTunnel tunnel = null;
        try {
            if (grant.isEmpty()) {
                List<BindableService> services = services(build, credentials, files);
                // the session's stream belongs to the call's context: cancelling the build ends it too
                Context previous = call.attach();
                try {
                    tunnel = SessionTunnel.open(
                            ControlGrpc.newStub(channel)
                                    .withExecutor(Executors.newThreadPerTaskExecutor(Thread.ofVirtual()
                                            .name("kiln-session")
                                            .factory())),
                            session,
                            "kiln-maven-plugin",
                            sharedKey(build.locals()),
                            services);
                } finally {
                    call.detach(previous);
                }
            }
            DaemonProgress progress = new DaemonProgress(new LogProgress(log));
            call.run(() -> ControlGrpc.newStub(channel)
                    .status(StatusRequest.newBuilder().setRef(ref).build(), progress));
            CompletableFuture<SolveResponse> solved =
                    BackgroundSolve.start(channel, request.build(), call, "kiln-solve");
            if (build.frontend() instanceof GoalBuild.Frontend.Function function) {
                forward(channel, ref, session, build.frontendAttrs(), function.function(), call);
            }
            SolveResponse response;
            try {
                response = solved.get();
            } catch (ExecutionException e) {
                awaitStatus(progress);
                throw failure(e.getCause());
            }
            awaitStatus(progress);
            return new BuiltImage(response.getExporterResponseMap());
        } finally {
            if (tunnel != null) {
                tunnel.close();
            }
            call.cancel(null);
            if (grant.isPresent()) {
                Files.deleteIfExists(grant.get()); // the daemon deletes it when the Solve arrives
            }
        }
    }

    /**
     * Runs the plugin's build function as the frontend of the forwarded build {@code ref}: its gateway calls name the
     * build, and its result (or its failure) goes back with Return, which the daemon's Solve then exports (or fails
     * with). A gateway the function cannot reach cancels the build.
     */
    private void forward(
            Http2Channel channel,
            String ref,
            String session,
            Map<String, String> attrs,
            BuildFunction function,
            Context.CancellableContext call)
            throws InterruptedException, MojoExecutionException {
        long started = System.nanoTime();
        try {
            LlbBridgeClient gateway = LlbBridgeClient.connect(
                    ForwardedFrontend.bridge(channel, ref),
                    new BuildFacts(attrs, session, "kiln-maven-plugin", List.of()));
            long connected = System.nanoTime();
            gateway.run(function);
            if (log.isDebugEnabled()) {
                log.debug(String.format(
                        "kiln: the daemon's gateway answered in %d ms; the build function returned %d ms later",
                        (connected - started) / 1_000_000, (System.nanoTime() - connected) / 1_000_000));
            }
        } catch (GatewayException e) {
            call.cancel(e);
            throw new MojoExecutionException("kiln: the daemon's gateway: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            call.cancel(e);
            throw e;
        }
    }

    /** What the session serves: the build's directories, the plugin's credentials, the receivers of its archives. */
    private static List<BindableService> services(
            GoalBuild build, CredentialSource credentials, Map<Integer, Path> files) {
        List<BindableService> services = new ArrayList<>();
        if (!build.locals().isEmpty()) {
            services.add(new FileSyncService(build.locals()));
        }
        services.add(new SessionAuth(credentials));
        if (!files.isEmpty()) {
            Map<Integer, FileTarget> targets = new TreeMap<>();
            files.forEach((index, file) -> targets.put(index, new FileTarget.ToFile(file)));
            services.add(new FileSendService(targets));
        }
        return services;
    }

    /**
     * Names the build's directories across the plugin's sessions: the daemon keeps its copy of them under this key,
     * so the next build of the same project sends only the files that changed.
     */
    private static String sharedKey(Map<String, Path> locals) {
        StringBuilder key = new StringBuilder("kiln-maven-plugin");
        new TreeMap<>(locals)
                .forEach(
                        (name, dir) -> key.append('\0').append(name).append('=').append(dir));
        return Digest.sha256(key.toString().getBytes(StandardCharsets.UTF_8))
                .hex()
                .substring(0, 32);
    }

    /** The status stream ends after the Solve; a daemon that keeps it open does not hold the goal. */
    private static void awaitStatus(DaemonProgress progress) throws InterruptedException {
        try {
            progress.done().get(STATUS_TAIL_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            // the log has what arrived
        }
    }

    /** A failed Solve as the goal's failure: the build's own message, as the embedded engine fails with it. */
    private MojoExecutionException failure(Throwable cause) throws DirectAccessRefused {
        if (cause instanceof StatusRuntimeException status) {
            String description = String.valueOf(status.getStatus().getDescription());
            Status.Code code = status.getStatus().getCode();
            if (code == Status.Code.FAILED_PRECONDITION && description.startsWith(DirectAccess.REFUSED)) {
                throw new DirectAccessRefused(status);
            }
            if (code == Status.Code.UNAVAILABLE) {
                return new MojoExecutionException(
                        "kiln: the daemon (pid " + daemon.pid() + ", " + daemon.address() + ") went away: "
                                + description,
                        status);
            }
            return BuildFailure.of(description, status);
        }
        return BuildFailure.of(cause.getMessage(), cause);
    }
}
