package dev.kiln.cli;

import dev.kiln.engine.BuildException;
import dev.kiln.engine.BuildOutcome;
import dev.kiln.engine.BuildRequest;
import dev.kiln.engine.CacheMiss;
import dev.kiln.engine.DebugShell;
import dev.kiln.engine.Engine;
import dev.kiln.engine.EngineOptions;
import dev.kiln.engine.Entitlement;
import dev.kiln.engine.FrontendSpec;
import dev.kiln.engine.Frontends;
import dev.kiln.engine.Warning;
import dev.kiln.engine.cache.CacheExport;
import dev.kiln.engine.cache.CacheImport;
import dev.kiln.engine.export.ExportDefaults;
import dev.kiln.engine.export.ExportTarget;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code kiln build} on the embedded engine ({@code --no-daemon}, {@code --on-error shell}, {@code kiln debug}):
 * buildctl's form ({@code --frontend NAME --local name=DIR --opt k=v}, or an LLB definition on stdin) and docker
 * build's ({@code kiln build -f Dockerfile CONTEXT}). The daemon's client is {@link dev.kiln.cli.remote}'s; the
 * command line both read is {@link Invocation}.
 */
record BuildCommand(PrintStream out, PrintStream err, InputStream in) {

    /** The help text of {@code kiln build}, grouped as docker build's. */
    static String usage() {
        return BuildFlags.help();
    }

    static Invocation parse(List<String> args) throws UsageException, HelpRequested {
        return Invocation.parse(args);
    }

    /**
     * Runs {@code kiln build} (or {@code kiln debug STEP} when {@code debugStep} is given) in this process, a failed
     * build reported as {@link Main} reports every failure. Main calls this rather than catching the engine's
     * exception itself, so that a daemon build never loads an engine class.
     */
    static int embedded(List<String> args, String debugStep) throws Exception {
        BuildCommand command = new BuildCommand(System.out, System.err, System.in);
        try {
            return debugStep == null ? command.run(args) : command.debug(debugStep, args);
        } catch (BuildException e) {
            BuildFailure.printEmbedded(System.err, e);
            return 1;
        }
    }

    int run(List<String> args) throws Exception {
        Invocation invocation = parse(args);
        if (invocation.call() != null) {
            return call(invocation);
        }
        BuildRequest request = request(invocation);
        EngineOptions options = engineOptions(invocation);
        ClassLoader loader = loader(invocation.frontendClasspath());
        BuildSummary summary = new BuildSummary();
        Progress.Display display = display(invocation.progress());
        try (Engine engine = Engine.open(options, Frontends.discover(loader), this::notice)) {
            BuildOutcome outcome;
            try {
                outcome = engine.build(request.withDebugOnFailure(invocation.shellOnError()), event -> {
                    summary.onEvent(event);
                    display.onEvent(event);
                });
            } catch (BuildException e) {
                if (invocation.explainCache() || invocation.progress().equals("rawjson")) {
                    explain(display, e.cacheMisses());
                }
                display.close();
                if (e.debugShell().isPresent()) {
                    try (DebugShell shell = e.debugShell().get()) {
                        new ShellSession(in, out, err)
                                .run(
                                        shell::start,
                                        shell.step() + " failed; opening a shell in its "
                                                + "container (its files as the step left them). Exit the shell to end the build.");
                    }
                }
                throw e;
            } finally {
                display.close();
            }
            if (invocation.explainCache() || invocation.progress().equals("rawjson")) {
                explain(display, outcome.cacheMisses());
            }
            printWarnings(outcome.warnings());
            if (!invocation.progress().equals("quiet") && !invocation.progress().equals("rawjson")) {
                err.println("build finished in " + PlainProgress.seconds(outcome.elapsed()) + ": " + summary.ran()
                        + " steps run, " + summary.cached() + " cached" + exportsText(request));
            }
            if (invocation.metadataFile() != null) {
                BuildMetadata.write(invocation.metadataFile(), outcome);
            }
            String imageId = outcome.result()
                    .metadata("containerimage.config.digest")
                    .map(bytes -> new String(bytes, StandardCharsets.UTF_8))
                    .orElse("");
            if (invocation.iidFile() != null) {
                if (imageId.isEmpty()) {
                    notice("--iidfile: the build made no image (add -t NAME or an image --output), so "
                            + invocation.iidFile() + " is left empty");
                }
                BuildMetadata.writeAtomically(invocation.iidFile(), imageId.getBytes(StandardCharsets.UTF_8));
            }
            if (invocation.quiet() && !writesToStdout(request)) {
                out.println(imageId);
            }
        }
        return 0;
    }

    /** {@code --call}: the frontend's answer, from a build that exports nothing. */
    private int call(Invocation invocation) throws Exception {
        BuildRequest request = request(invocation);
        Progress.Display display = display(invocation.progress());
        BuildOutcome outcome;
        try (Engine engine = Engine.open(
                engineOptions(invocation), Frontends.discover(loader(invocation.frontendClasspath())), this::notice)) {
            try {
                outcome = engine.build(request, display::onEvent);
            } finally {
                display.close();
            }
        }
        return invocation.call().print(outcome.result().metadata(), out, err);
    }

    private void notice(String text) {
        err.println("kiln: " + text);
    }

    /** An export that streams to stdout owns it: -q's image ID must not end up inside the archive. */
    private static boolean writesToStdout(BuildRequest request) {
        return request.exports().stream().anyMatch(target -> target.exporter().streams());
    }

    private static EngineOptions engineOptions(Invocation invocation) {
        EngineOptions options = EngineOptions.defaults()
                .withRuntime(invocation.runtime())
                .withInsecureRegistries(java.util.Set.copyOf(invocation.insecureRegistries()));
        if (invocation.stateTimeout() != null) {
            options = options.withStateTimeout(invocation.stateTimeout());
        }
        return invocation.stateDir() == null ? options : options.withStateDir(invocation.stateDir());
    }

    /** {@code kiln debug STEP [build options]}: builds, then opens a shell in the named step's result. */
    int debug(String selector, List<String> args) throws Exception {
        Invocation invocation = parse(args);
        BuildRequest request = request(invocation);
        EngineOptions options = engineOptions(invocation);
        Progress.Display display = display(invocation.progress());
        try (Engine engine =
                Engine.open(options, Frontends.discover(loader(invocation.frontendClasspath())), this::notice)) {
            DebugShell shell;
            try {
                shell = engine.debug(request, selector, display::onEvent);
            } finally {
                display.close();
            }
            try (shell) {
                new ShellSession(in, out, err)
                        .run(
                                shell::start,
                                "opening a shell in the result of " + shell.step() + ". Exit the shell to end.");
            }
        }
        return 0;
    }

    private Progress.Display display(String mode) {
        return Progress.Display.forMode(mode, err);
    }

    private static Set<Entitlement> entitlements(Invocation invocation) {
        Set<Entitlement> granted = EnumSet.noneOf(Entitlement.class);
        invocation
                .entitlements()
                .forEach(name -> granted.add(Entitlement.parse(name).orElseThrow()));
        return granted;
    }

    private static String exportsText(BuildRequest request) {
        if (request.exports().isEmpty()) {
            return "; no output asked for, so the result stays in the cache (add --output or -t to export it)";
        }
        return "; exported to "
                + request.exports().stream()
                        .map(target -> target.exporter().describe())
                        .collect(java.util.stream.Collectors.joining(", "));
    }

    private BuildRequest request(Invocation invocation) throws UsageException, IOException {
        Invocation.FrontendInput input = invocation.frontendInput(in);
        Map<String, Path> locals = input.locals();
        Map<String, String> opts = input.opts();
        FrontendSpec frontend = input.frontend() != null
                ? new FrontendSpec.Named(input.frontend())
                : new FrontendSpec.Llb(input.definition());
        // a question for the frontend builds nothing, so there is nothing to export
        List<ExportTarget> exports = invocation.call() != null ? List.of() : exportTargets(invocation, opts);
        return new BuildRequest(
                        frontend,
                        opts,
                        locals,
                        exports,
                        Secrets.parse(invocation.secrets(), System.getenv()),
                        Secrets.parseSsh(invocation.ssh(), System.getenv()))
                .withEntitlements(entitlements(invocation))
                .withCache(cacheExports(invocation), cacheImports(invocation));
    }

    private static List<CacheExport> cacheExports(Invocation invocation) throws UsageException {
        return caches(invocation.cacheTo(), "--cache-to", CacheExport::of);
    }

    private static List<CacheImport> cacheImports(Invocation invocation) throws UsageException {
        return caches(invocation.cacheFrom(), "--cache-from", CacheImport::of);
    }

    /** Each cache spec of {@code flag} made into what the engine takes by {@code of}; a bad one is a usage error. */
    private static <T> List<T> caches(
            List<CacheSpec> specs, String flag, java.util.function.BiFunction<String, Map<String, String>, T> of)
            throws UsageException {
        List<T> caches = new ArrayList<>();
        for (CacheSpec spec : specs) {
            try {
                caches.add(of.apply(spec.type(), spec.attrs()));
            } catch (IllegalArgumentException | UnsupportedOperationException e) {
                throw new UsageException(flag + ": " + e.getMessage());
            }
        }
        return caches;
    }

    /**
     * The export targets of {@code --output}, {@code -t} and {@code --push}: as in docker build, {@code -t} alone keeps
     * the image locally under its names, {@code --push} pushes it, and image outputs without {@code name=} take the
     * {@code -t} names. SOURCE_DATE_EPOCH comes from the build argument of that name, else the environment.
     */
    private List<ExportTarget> exportTargets(Invocation invocation, Map<String, String> opts) throws UsageException {
        List<OutputSpec> outputs = invocation.outputSpecs();
        Optional<String> epoch = Optional.ofNullable(opts.get("build-arg:SOURCE_DATE_EPOCH"))
                .or(() -> Optional.ofNullable(System.getenv("SOURCE_DATE_EPOCH")));
        ExportDefaults defaults =
                new ExportDefaults(out, invocation.tags(), invocation.push(), epoch, invocation.annotations());
        List<ExportTarget> exports = new ArrayList<>();
        for (OutputSpec output : outputs) {
            exports.add(output.target(defaults));
        }
        return exports;
    }

    static ClassLoader loader(List<Path> classpath) throws IOException {
        ClassLoader parent = BuildCommand.class.getClassLoader();
        if (classpath.isEmpty()) {
            return parent;
        }
        List<URL> urls = new ArrayList<>();
        for (Path entry : classpath) {
            if (!Files.exists(entry)) {
                throw new IOException("--frontend-classpath: " + entry + " does not exist");
            }
            urls.add(entry.toUri().toURL());
        }
        return new URLClassLoader(urls.toArray(URL[]::new), parent);
    }

    /** Shows why each step that ran missed the cache (--explain-cache, and always in rawjson). */
    private static void explain(Progress.Display display, List<CacheMiss> misses) {
        for (CacheMiss miss : misses) {
            display.onExplained(new Progress.VertexExplained(
                    miss.vertexDigest(),
                    miss.vertexName(),
                    java.time.Instant.now(),
                    miss.reason(),
                    miss.message(),
                    miss.details()));
        }
    }

    private void printWarnings(List<Warning> warnings) {
        if (warnings.isEmpty()) {
            return;
        }
        err.println();
        err.println(warnings.size() == 1 ? "1 warning found:" : warnings.size() + " warnings found:");
        for (Warning warning : warnings) {
            err.println(" - " + warning.message());
        }
    }
}
