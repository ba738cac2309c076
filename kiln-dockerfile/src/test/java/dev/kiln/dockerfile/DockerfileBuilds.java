package dev.kiln.dockerfile;

import dev.kiln.core.Trees;
import dev.kiln.engine.BuildOutcome;
import dev.kiln.engine.BuildRequest;
import dev.kiln.engine.Engine;
import dev.kiln.engine.EngineOptions;
import dev.kiln.engine.Entitlement;
import dev.kiln.engine.FrontendSpec;
import dev.kiln.engine.export.ExportTarget;
import dev.kiln.solver.ProgressEvent;
import dev.kiln.worker.BusyboxRootfs;
import dev.kiln.worker.StepNames;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One engine for a test class (builds may run concurrently), with a busybox root filesystem passed as the
 * local "busybox" and the named context {@code context:busybox=local:busybox}, so that {@code FROM busybox}
 * works without a registry. A test class holds it as
 * {@code @RegisterExtension static final DockerfileBuilds builds = new DockerfileBuilds();}: it opens on a fresh
 * temporary directory ({@link #dir}) before the class's {@code @BeforeAll} methods and is closed and deleted
 * after its {@code @AfterAll} methods.
 */
final class DockerfileBuilds implements BeforeAllCallback, AfterAllCallback, AutoCloseable {

    Path dir;
    Path busybox;
    Engine engine;

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        dir = Files.createTempDirectory("kiln-dockerfile-test-");
        busybox = BusyboxRootfs.populate(Files.createDirectories(dir.resolve("busybox")));
        engine = Engine.open(new EngineOptions(dir.resolve("state"), "auto"));
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        try {
            close();
        } finally {
            Trees.deleteRecursively(dir);
        }
    }

    /** A fresh directory {@code contexts/name} holding {@code files} (relative path to content). */
    Path context(String name, Map<String, String> files) throws IOException {
        Path context = Files.createDirectories(dir.resolve("contexts").resolve(name));
        for (Map.Entry<String, String> file : files.entrySet()) {
            Path path = context.resolve(file.getKey());
            Files.createDirectories(path.getParent());
            Files.writeString(path, file.getValue());
        }
        return context;
    }

    /**
     * A build of {@code context} (Dockerfile inside it unless {@code opts} name another), exported to a fresh
     * directory and, beside it, to a tar: a local export gives its files to the user who runs the build, the tar
     * keeps the owners the image has.
     */
    Build build(Path context, Map<String, String> opts) throws Exception {
        return build(context, opts, Map.of());
    }

    Build build(Path context, Map<String, String> opts, Map<String, Path> extraLocals) throws Exception {
        return build(context, opts, extraLocals, Set.of());
    }

    /** As {@link #build(Path, Map, Map)}, granting the build {@code allow}. */
    Build build(Path context, Map<String, String> opts, Map<String, Path> extraLocals, Set<Entitlement> allow)
            throws Exception {
        Path out = Files.createTempDirectory(dir, "out-");
        Path tar = out.resolveSibling(out.getFileName() + ".tar");
        List<ProgressEvent> events = Collections.synchronizedList(new ArrayList<>());
        BuildOutcome outcome = build(
                context,
                opts,
                extraLocals,
                List.of(new ExportTarget.LocalDirectory(out), new ExportTarget.TarFile(tar)),
                events,
                allow);
        return new Build(outcome, out, tar, List.copyOf(events));
    }

    /** A build of {@code context} exported to {@code targets}, its progress added to {@code events}. */
    BuildOutcome build(
            Path context,
            Map<String, String> opts,
            Map<String, Path> extraLocals,
            List<ExportTarget> targets,
            List<ProgressEvent> events)
            throws Exception {
        return build(context, opts, extraLocals, targets, events, Set.of());
    }

    BuildOutcome build(
            Path context,
            Map<String, String> opts,
            Map<String, Path> extraLocals,
            List<ExportTarget> targets,
            List<ProgressEvent> events,
            Set<Entitlement> allow)
            throws Exception {
        return engine.build(request(context, opts, extraLocals, targets).withEntitlements(allow), events::add);
    }

    /** The request of a build of {@code context} with the shared base, exported to {@code targets}. */
    BuildRequest request(
            Path context, Map<String, String> opts, Map<String, Path> extraLocals, List<ExportTarget> targets) {
        Map<String, String> options = new LinkedHashMap<>();
        options.put("context:busybox", "local:busybox");
        // one session for the shared base across builds, as a client keeps one for a directory it reuses:
        // its steps then keep their cache keys from build to build
        options.put("local-sessionid:busybox", "busybox-rootfs");
        options.putAll(opts);
        Map<String, Path> locals = new LinkedHashMap<>();
        locals.put("context", context);
        locals.put("dockerfile", context);
        locals.put("busybox", busybox);
        locals.putAll(extraLocals);
        return new BuildRequest(
                new FrontendSpec.Function(DockerfileFrontend.NAME, new DockerfileFrontend()), options, locals, targets);
    }

    /** A finished build: its outcome, the exported files, the same files as a tar, the progress events. */
    record Build(BuildOutcome outcome, Path out, Path tar, List<ProgressEvent> events) {

        /** "uid:gid" of a path of the result as the tar export has it ({@code /etc/passwd} or {@code etc/passwd}). */
        String owner(String path) throws IOException {
            String name = path.startsWith("/") ? path.substring(1) : path;
            try (TarArchiveInputStream in = new TarArchiveInputStream(Files.newInputStream(tar))) {
                TarArchiveEntry entry;
                while ((entry = in.getNextEntry()) != null) {
                    String entryName = entry.getName().endsWith("/")
                            ? entry.getName().substring(0, entry.getName().length() - 1)
                            : entry.getName();
                    if (entryName.equals(name)) {
                        return entry.getLongUserId() + ":" + entry.getLongGroupId();
                    }
                }
            }
            throw new IOException(path + " is not in the exported tar " + tar);
        }

        byte[] config() {
            return outcome.result()
                    .metadata(DockerfileFrontend.IMAGE_CONFIG_KEY)
                    .orElseThrow();
        }

        List<String> executed() {
            return StepNames.executed(events);
        }

        List<String> cached() {
            return StepNames.cached(events);
        }
    }

    @Override
    public void close() throws IOException {
        engine.close();
    }
}
