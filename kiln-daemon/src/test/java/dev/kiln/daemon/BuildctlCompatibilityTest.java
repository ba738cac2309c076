package dev.kiln.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.core.ImageReference;
import dev.kiln.core.Platform;
import dev.kiln.llb.RunOption;
import dev.kiln.llb.State;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.ImageIndex;
import dev.kiln.oci.ImageManifest;
import dev.kiln.oci.registry.RegistryClient;
import dev.kiln.oci.registry.ResolvedImage;
import dev.kiln.oci.testing.LocalRegistry;
import dev.kiln.oci.testing.Resources;
import dev.kiln.worker.BusyboxRegistry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * BuildKit's own client, the real {@code buildctl} v0.24.0, against a Kiln daemon: what a user of buildctl (or of
 * docker buildx, which talks the same way) sees. buildctl builds through the gateway forwarder: it runs the frontend
 * request itself over LLBBridge. Skipped where buildctl is not installed (CI); dev machines have it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BuildctlCompatibilityTest {

    Path tmp;
    Path buildctl;
    BusyboxRegistry images;
    LocalRegistry registry;
    ImageReference busybox;
    DaemonFixture daemon;
    Path context;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        Optional<Path> found = onPath("buildctl");
        Assumptions.assumeTrue(
                found.isPresent(),
                "buildctl (BuildKit's client) is not on PATH; "
                        + "these tests drive the daemon with it where it is installed");
        buildctl = found.get();
        tmp = dir;
        images = BusyboxRegistry.start(tmp);
        registry = images.registry();
        busybox = images.busybox();
        daemon = new DaemonFixture(tmp);
        context = Files.createDirectories(tmp.resolve("context"));
        Files.writeString(context.resolve("greeting.txt"), "hello from buildctl\n");
        Files.writeString(context.resolve("Dockerfile"), """
                ARG BASE
                FROM ${BASE}
                COPY greeting.txt /greeting.txt
                RUN echo built > /built
                """);
    }

    @AfterAll
    void stop() throws Exception {
        Resources.closeAll(daemon, images);
    }

    private static Optional<Path> onPath(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, name);
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    record Run(int exit, String out, String err) {}

    private Run buildctl(Optional<Path> stdin, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(buildctl.toString(), "--addr", "unix://" + daemon.socket));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        stdin.ifPresentOrElse(
                file -> builder.redirectInput(file.toFile()),
                () -> builder.redirectInput(
                        ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())));
        Process process = builder.start();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(process.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
        if (!process.waitFor(300, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("buildctl " + String.join(" ", args) + " did not finish: " + err.getNow(""));
        }
        return new Run(process.exitValue(), out.get(), err.get());
    }

    private Run buildctl(String... args) throws Exception {
        return buildctl(Optional.empty(), args);
    }

    private static String read(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    private List<String> dockerfileBuild(String... more) {
        List<String> args = dockerfileBuildOf(context, "--opt", "build-arg:BASE=" + busybox);
        args.addAll(List.of(more));
        return args;
    }

    /** buildctl's flags of a Dockerfile build of {@code dir} (its Dockerfile too) with plain progress, then more. */
    private static List<String> dockerfileBuildOf(Path dir, String... more) {
        List<String> args = new ArrayList<>(List.of(
                "build",
                "--progress",
                "plain",
                "--frontend",
                "dockerfile.v0",
                "--local",
                "context=" + dir,
                "--local",
                "dockerfile=" + dir));
        args.addAll(List.of(more));
        return args;
    }

    /** A successful Dockerfile build of {@code dir} with {@code flags} whose files buildctl writes to {@code out}. */
    private void buildToLocal(Path dir, Path out, String... flags) throws Exception {
        List<String> args = dockerfileBuildOf(dir, flags);
        args.addAll(List.of("--output", "type=local,dest=" + out));
        assertSucceeded(buildctl(args.toArray(String[]::new)));
    }

    private static void assertSucceeded(Run run) {
        assertThat(run.exit())
                .as("buildctl's exit code; its stderr:\n%s", run.err())
                .isZero();
    }

    @Test
    @Order(1)
    void debugWorkersListsTheDaemonsWorker() throws Exception {
        Run run = buildctl("debug", "workers");
        assertSucceeded(run);
        assertThat(run.out()).contains("linux/" + dev.kiln.engine.Engine.hostArchitecture());
    }

    @Test
    @Order(2)
    void aDockerfileBuildToAnOciArchiveHasTheCopiedFile() throws Exception {
        Path archive = tmp.resolve("app.oci.tar");
        Run run =
                buildctl(dockerfileBuild("--output", "type=oci,dest=" + archive).toArray(String[]::new));
        assertSucceeded(run);
        assertThat(run.err()).contains("COPY greeting.txt /greeting.txt");

        Map<String, byte[]> blobs = entries(Files.newInputStream(archive));
        assertThat(blobs).containsKey("index.json");
        List<String> greetings = new ArrayList<>();
        for (Map.Entry<String, byte[]> blob : blobs.entrySet()) {
            byte[] data = blob.getValue();
            if (blob.getKey().startsWith("blobs/")
                    && data.length > 2
                    && (data[0] & 0xff) == 0x1f
                    && (data[1] & 0xff) == 0x8b) {
                byte[] greeting = entries(new GZIPInputStream(new ByteArrayInputStream(data)))
                        .get("greeting.txt");
                if (greeting != null) {
                    greetings.add(new String(greeting, StandardCharsets.UTF_8));
                }
            }
        }
        assertThat(greetings).containsExactly("hello from buildctl\n");
    }

    /** tar=false: buildctl serves its directory as a content store and lists the image itself, name by name. */
    @Test
    @Order(2)
    void aTarFalseLayoutKeepsTheImagesBuildctlListedUnderOtherNames() throws Exception {
        Path layout = tmp.resolve("layout");
        for (String name : List.of("example.com/app:1", "example.com/app:2", "example.com/app:1")) {
            assertSucceeded(buildctl(dockerfileBuild("--output", "type=oci,tar=false,dest=" + layout + ",name=" + name)
                    .toArray(String[]::new)));
        }

        ImageIndex index = ImageIndex.parse(Files.readAllBytes(layout.resolve("index.json")));
        assertThat(index.manifests())
                .extracting(entry -> entry.annotations().get("io.containerd.image.name"))
                .containsExactly("example.com/app:2", "example.com/app:1");
        assertThat(index.manifests())
                .extracting(entry -> entry.annotations().get("org.opencontainers.image.ref.name"))
                .containsExactly("2", "1");
        for (Descriptor entry : index.manifests()) {
            Path manifest = layout.resolve("blobs/sha256/" + entry.digest().hex());
            for (Descriptor layer :
                    ImageManifest.parse(Files.readAllBytes(manifest)).layers()) {
                assertThat(layout.resolve("blobs/sha256/" + layer.digest().hex()))
                        .isRegularFile();
            }
        }
    }

    @Test
    @Order(3)
    void aDockerfileBuildPushesItsImageToARegistry() throws Exception {
        ImageReference target = registry.reference("x:1");
        Path metadata = tmp.resolve("push-metadata.json");
        Run run = buildctl(dockerfileBuild(
                        "--output", "type=image,name=" + target + ",push=true", "--metadata-file", metadata.toString())
                .toArray(String[]::new));
        assertSucceeded(run);

        try (RegistryClient client = RegistryClient.builder().build()) {
            ResolvedImage image = client.resolveImage(target, Platform.current());
            assertThat(Files.readString(metadata))
                    .contains(image.image().descriptor().digest().toString());
            String greeting = null;
            for (Descriptor layer : image.layers()) {
                try (InputStream in = new GZIPInputStream(client.openBlob(target, layer))) {
                    byte[] found = entries(in).get("greeting.txt");
                    if (found != null) {
                        greeting = new String(found, StandardCharsets.UTF_8);
                    }
                }
            }
            assertThat(greeting).isEqualTo("hello from buildctl\n");
            assertThat(image.configBytes()).asString(StandardCharsets.UTF_8).contains("COPY greeting.txt");
        }
    }

    @Test
    @Order(4)
    void aSecretReachesItsRunStepAndALocalOutputGetsTheFiles() throws Exception {
        Path secret = tmp.resolve("token.txt");
        Files.writeString(secret, "s3cr3t-" + System.nanoTime());
        // a context of its own: a secret is no part of a step's cache key, so a step that ran without it is reused
        Path secretContext = Files.createDirectories(tmp.resolve("secret-context"));
        Files.copy(context.resolve("greeting.txt"), secretContext.resolve("greeting.txt"));
        Files.writeString(secretContext.resolve("Dockerfile"), """
                ARG BASE
                FROM ${BASE}
                COPY greeting.txt /greeting.txt
                RUN --mount=type=secret,id=token,required=true cat /run/secrets/token > /token-copy
                RUN echo built > /built
                """);
        Path out = tmp.resolve("local-out");
        buildToLocal(secretContext, out, "--opt", "build-arg:BASE=" + busybox, "--secret", "id=token,src=" + secret);
        assertThat(out.resolve("token-copy")).hasContent(Files.readString(secret));
        assertThat(out.resolve("greeting.txt")).hasContent("hello from buildctl");
        assertThat(out.resolve("built")).hasContent("built");
    }

    @Test
    @Order(5)
    void aFailingRunStepFailsTheBuildWithItsMessage() throws Exception {
        Path bad = Files.createDirectories(tmp.resolve("bad"));
        Files.writeString(bad.resolve("Dockerfile"), "FROM " + busybox + "\nRUN echo failing-step >&2; exit 7\n");
        Run run = buildctl(dockerfileBuildOf(bad).toArray(String[]::new));
        assertThat(run.exit()).isNotZero();
        // buildctl draws the snippet itself from the error's errdefs.Source; the message is BuildKit's, without the
        // step's name and digest (errdefs.Vertex carries that) or its output (the progress showed it)
        assertThat(run.err())
                .contains("Dockerfile:2\n--------------------\n   1 |     FROM " + busybox + "\n")
                .contains("   2 | >>> RUN echo failing-step >&2; exit 7\n   3 |     \n--------------------\n");
        assertThat(run.err().substring(run.err().indexOf("--------------------\nerror:")))
                .isEqualTo("--------------------\nerror: failed to solve: process \"/bin/sh -c echo failing-step >&2; "
                        + "exit 7\" did not complete successfully: exit code: 7\n");
    }

    @Test
    @Order(5)
    void aFailingHeredocsNewlinesAreEscapedInTheMessageAndItsLinesMarked() throws Exception {
        Path bad = Files.createDirectories(tmp.resolve("bad-heredoc"));
        Files.writeString(
                bad.resolve("Dockerfile"), "FROM " + busybox + "\nRUN <<EOF\necho from-heredoc\nexit 4\nEOF\n");
        Run run = buildctl(dockerfileBuildOf(bad).toArray(String[]::new));
        assertThat(run.exit()).isNotZero();
        assertThat(run.err())
                .contains("   2 | >>> RUN <<EOF\n   3 | >>> echo from-heredoc\n   4 | >>> exit 4\n   5 | >>> EOF\n")
                .contains("error: failed to solve: process \"/bin/sh -c echo from-heredoc\\nexit 4\\n\" did not "
                        + "complete successfully: exit code: 4\n");
    }

    @Test
    @Order(6)
    void aBadDockerfileFailsTheBuildWithTheParsersMessageAndBuildctlFramesItsLines() throws Exception {
        // what buildctl v0.24.0 prints against buildkitd v0.24.0 for the same files, progress aside: the frame it
        // draws from the error's errdefs.Source, then BuildKit's message
        assertThat(failureOf("unparsable", "FROM scratch\nFOOBAR nonsense\n")).isEqualTo("""
                Dockerfile:2
                --------------------
                   1 |     FROM scratch
                   2 | >>> FOOBAR nonsense
                   3 |    \s
                --------------------
                error: failed to solve: dockerfile parse error on line 2: unknown instruction: FOOBAR
                """);
        assertThat(failureOf("open-heredoc", "FROM scratch\nRUN <<EOF\necho hi\n"))
                .isEqualTo("""
                Dockerfile:2
                --------------------
                   1 |     FROM scratch
                   2 | >>> RUN <<EOF
                   3 | >>> echo hi
                   4 |    \s
                --------------------
                error: failed to solve: unterminated heredoc
                """);
        assertThat(failureOf("blank-base", "ARG X\nFROM $X\n")).isEqualTo("""
                Dockerfile:2
                --------------------
                   1 |     ARG X
                   2 | >>> FROM $X
                   3 |    \s
                --------------------
                error: failed to solve: base name ($X) should not be blank
                """);
    }

    /** buildctl's stderr from the frame on, for a Dockerfile build of {@code dockerfile} that fails. */
    private String failureOf(String name, String dockerfile) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve(name));
        Files.writeString(dir.resolve("Dockerfile"), dockerfile);
        Run run = buildctl(dockerfileBuildOf(dir).toArray(String[]::new));
        assertThat(run.exit()).isNotZero();
        int frame = run.err().indexOf("Dockerfile:");
        assertThat(frame).as(run.err()).isNotNegative();
        return run.err().substring(frame);
    }

    @Test
    @Order(7)
    void anLlbDefinitionOnStdinIsSolved() throws Exception {
        State state = State.image(busybox.toString())
                .run(RunOption.sh("echo from-stdin > /stdin.txt"))
                .root();
        Path definition = tmp.resolve("definition.pb");
        Files.write(definition, state.marshal().toByteArray());
        Path out = tmp.resolve("stdin-out");
        Run run = buildctl(Optional.of(definition), "build", "--output", "type=local,dest=" + out);
        assertSucceeded(run);
        assertThat(out.resolve("stdin.txt")).hasContent("from-stdin");
    }

    @Test
    @Order(8)
    void buildctlsRegistryCacheExportIsImportedByAFreshDaemon() throws Exception {
        String ref = registry.host() + "/buildctl-cache:1";
        Run export = buildctl(dockerfileBuild("--export-cache", "type=registry,ref=" + ref + ",mode=max")
                .toArray(String[]::new));
        assertSucceeded(export);
        try (RegistryClient client = RegistryClient.builder().build()) {
            var pushed = client.fetchManifest(ImageReference.parseNormalized(ref));
            assertThat(pushed.descriptor().mediaType()).isEqualTo("application/vnd.oci.image.manifest.v1+json");
            assertThat(pushed.manifest().config().mediaType()).isEqualTo("application/vnd.buildkit.cacheconfig.v0");
        }

        // buildctl has no direct access, and a registry cache needs none: a fresh daemon takes the RUN from it.
        assertTheRunIsCachedOnAFreshDaemon("fresh", "--import-cache", "type=registry,ref=" + ref);
    }

    @Test
    @Order(9)
    void buildctlsLocalCacheGoesThroughItsSessionAndAFreshDaemonImportsIt() throws Exception {
        Path cache = tmp.resolve("local-cache");
        Run export = buildctl(dockerfileBuild("--export-cache", "type=local,dest=" + cache + ",mode=max")
                .toArray(String[]::new));
        assertSucceeded(export);
        // The daemon wrote the blobs through buildctl's content store; buildctl wrote index.json from cache.manifest.
        ImageIndex index = ImageIndex.parse(Files.readAllBytes(cache.resolve("index.json")));
        Path manifest = cache.resolve("blobs/sha256")
                .resolve(index.manifests().getFirst().digest().hex());
        assertThat(ImageManifest.parse(Files.readAllBytes(manifest)).config().mediaType())
                .isEqualTo("application/vnd.buildkit.cacheconfig.v0");

        assertTheRunIsCachedOnAFreshDaemon("fresh-local", "--import-cache", "type=local,src=" + cache);
    }

    /** buildctl builds the context on a daemon of a fresh state with {@code flags}; its RUN must come from a cache. */
    private void assertTheRunIsCachedOnAFreshDaemon(String state, String... flags) throws Exception {
        try (DaemonFixture fresh = new DaemonFixture(tmp.resolve(state))) {
            List<String> command = new ArrayList<>(List.of(buildctl.toString(), "--addr", "unix://" + fresh.socket));
            command.addAll(dockerfileBuild(flags));
            Process process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectInput(
                            ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .start();
            String output = read(process.getInputStream());
            assertThat(process.waitFor(300, TimeUnit.SECONDS)).isTrue();
            assertThat(process.exitValue()).as(output).isZero();
            assertThat(output)
                    .containsPattern(
                            "(?m)^#(\\d+) \\[\\d/\\d\\] RUN echo built > /built\\n(?:#\\1 .*\\n)*#\\1 CACHED$");
        }
    }

    @Test
    @Order(10)
    void buildctlsOciLayoutIsReadThroughItsSessionsContentStore() throws Exception {
        Path archive = tmp.resolve("layout.oci.tar");
        assertSucceeded(
                buildctl(dockerfileBuild("--output", "type=oci,dest=" + archive).toArray(String[]::new)));
        // the layout stays on buildctl's side: it serves it as the content store "oci:mystore", no local directory
        Path layout = Files.createDirectories(tmp.resolve("layout"));
        for (Map.Entry<String, byte[]> file :
                entries(Files.newInputStream(archive)).entrySet()) {
            Path target = layout.resolve(file.getKey());
            Files.createDirectories(target.getParent());
            Files.write(target, file.getValue());
        }
        String manifest = ImageIndex.parse(Files.readAllBytes(layout.resolve("index.json")))
                .manifests()
                .getFirst()
                .digest()
                .toString();
        Path fromLayout = Files.createDirectories(tmp.resolve("from-layout"));
        Files.writeString(fromLayout.resolve("Dockerfile"), """
                FROM base
                RUN cat /greeting.txt /built > /seen
                """);
        Path out = tmp.resolve("from-layout-out");
        buildToLocal(
                fromLayout,
                out,
                "--oci-layout",
                "mystore=" + layout,
                "--opt",
                "context:base=oci-layout://mystore@" + manifest);
        assertThat(out.resolve("seen")).hasContent("hello from buildctl\nbuilt");
    }

    @Test
    @Order(99)
    void debugHistoriesListsAnEarlierBuildAsComplete() throws Exception {
        Path refFile = tmp.resolve("history.ref");
        buildToLocal(
                context,
                tmp.resolve("history-out"),
                "--opt",
                "build-arg:BASE=" + busybox,
                "--ref-file",
                refFile.toString());
        String ref = Files.readString(refFile).trim();

        Run run = buildctl("debug", "histories");
        assertSucceeded(run);
        // a table: TYPE REF CREATED COMPLETED GENERATION PINNED
        assertThat(run.out())
                .startsWith("TYPE")
                .containsPattern(
                        "(?m)^COMPLETE\\s+" + java.util.regex.Pattern.quote(ref) + "\\s+\\S+\\s+\\S+\\s+0\\s*$");
    }

    @Test
    @Order(100)
    void diskUsageListsRecordsAndPruneRemovesThem() throws Exception {
        Run du = buildctl("du", "--verbose");
        assertSucceeded(du);
        assertThat(du.out()).contains("Total:").containsPattern("ID:\\s+\\S+");

        Run prune = buildctl("prune");
        assertSucceeded(prune);
        assertThat(prune.out()).contains("Total:").containsPattern("(?m)^[a-z0-9]{20,}\\s");

        Run after = buildctl("du");
        assertSucceeded(after);
        assertThat(after.out()).contains("Reclaimable:\t0B");
    }

    /** The entries of a tar stream (regular files only) by their path without a leading {@code ./} or {@code /}. */
    private static Map<String, byte[]> entries(InputStream in) throws IOException {
        Map<String, byte[]> files = new HashMap<>();
        try (TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                if (entry.isFile()) {
                    files.put(entry.getName().replaceFirst("^\\./", "").replaceFirst("^/", ""), tar.readAllBytes());
                }
            }
        }
        return files;
    }
}
