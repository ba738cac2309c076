package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.api.DaemonEndpoint;
import dev.kiln.oci.testing.Tools;
import dev.kiln.worker.BusyboxRootfs;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kiln build}, {@code du} and {@code prune} as clients of a real kiln daemon: the first build of the class
 * finds no daemon for its temporary state and starts one (as a user's first build does), the others reuse it.
 * Builds are real: busybox containers, files sent to and from the daemon through the session.
 */
class DaemonBuildTest {

    @TempDir
    static Path shared;

    static Path state;
    static Path rootfs;
    private static final ObjectMapper JSON = new ObjectMapper();
    static String firstBuildErr;
    static long firstDaemonPid;

    @TempDir
    Path tmp;

    Path context;
    final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    final ByteArrayOutputStream stderr = new ByteArrayOutputStream();

    @BeforeAll
    static void startDaemonByBuilding() throws Exception {
        state = shared.resolve("state");
        rootfs = BusyboxRootfs.populate(Files.createDirectories(shared.resolve("rootfs")));
        Path context = Files.createDirectories(shared.resolve("first"));
        Files.writeString(context.resolve("Dockerfile"), "FROM busybox\nRUN echo first\n");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new DaemonBuild(
                        new PrintStream(new ByteArrayOutputStream()),
                        new PrintStream(err, true),
                        InputStream.nullInputStream())
                .run(Invocation.parse(StateDaemon.busyboxBuild(state, rootfs, context)));
        firstBuildErr = err.toString(StandardCharsets.UTF_8);
        assertThat(code).as(firstBuildErr).isZero();
        firstDaemonPid = DaemonEndpoint.running(state).orElseThrow().pid();
    }

    @AfterAll
    static void stopDaemon() throws Exception {
        StateDaemon.stop(state);
    }

    @BeforeEach
    void context() throws IOException {
        context = Files.createDirectories(tmp.resolve("context"));
    }

    private int kiln(String dockerfile, String... args) throws Exception {
        return kiln(true, dockerfile, args);
    }

    /** A build through the daemon; {@code direct}: whether the client may hand its files over by path. */
    private int kiln(boolean direct, String dockerfile, String... args) throws Exception {
        Files.writeString(context.resolve("Dockerfile"), dockerfile);
        List<String> all = StateDaemon.busyboxBuild(state, rootfs, context, args);
        return daemonBuild("", direct).run(Invocation.parse(all));
    }

    /** A daemon client that reads {@code input} and writes to {@link #stdout} and {@link #stderr}, emptied first. */
    private DaemonBuild daemonBuild(String input, boolean direct) {
        stdout.reset();
        stderr.reset();
        return new DaemonBuild(
                new PrintStream(stdout, true),
                new PrintStream(stderr, true),
                new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)),
                direct);
    }

    private String err() {
        return stderr.toString(StandardCharsets.UTF_8);
    }

    @Test
    void firstBuildStartedTheDaemonAndLaterBuildsReuseIt() throws Exception {
        assertThat(firstBuildErr)
                .contains("kiln: started a daemon for " + state)
                .containsPattern("#\\d+ .*first");

        assertThat(kiln("FROM busybox\nRUN echo second\n")).as(err()).isZero();

        assertThat(err()).doesNotContain("started a daemon");
        assertThat(DaemonEndpoint.running(state).orElseThrow().pid()).isEqualTo(firstDaemonPid);
        assertThat(Files.readString(state.resolve("daemon.log"))).isNotNull();
    }

    @Test
    void copyFromTheContextReachesAnOciArchiveAndALocalDirectoryInOneBuild() throws Exception {
        copyFromTheContextReachesOutputs(true);

        // the daemon read the context where it lies: it kept no copy of it, as it does for a session's directories
        assertThat(copiesOf(context)).isEmpty();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tmp.resolve("image.oci.tar"))))
                .isEqualTo("rw-r--r--");
    }

    @Test
    void aDestSpelledWithDotsIsTheFileTheDaemonWrites() throws Exception {
        Files.createDirectories(tmp.resolve("sub"));
        Path spelled = tmp.resolve("sub").resolve("..").resolve("dotted.tar");

        int code = kiln(true, "FROM busybox\nRUN echo dotted > /dotted.txt\n", "--output", "type=tar,dest=" + spelled);

        assertThat(code).as(err()).isZero();
        assertThat(tarEntries(Files.readAllBytes(tmp.resolve("dotted.tar")))).containsKey("dotted.txt");
    }

    @Test
    void throughASessionTheSameBuildReachesTheSameOutputs() throws Exception {
        copyFromTheContextReachesOutputs(false);

        assertThat(copiesOf(context)).isNotEmpty();
    }

    /** The daemon's copies of this test's context, kept for the next incremental transfer. */
    private List<Path> copiesOf(Path dir) throws IOException {
        String marker = marker();
        Path copies = state.resolve("worker").resolve("session-copies");
        if (!Files.isDirectory(copies)) {
            return List.of();
        }
        try (var walk = Files.walk(copies)) {
            return walk.filter(path -> path.getFileName().toString().equals(marker))
                    .toList();
        }
    }

    /** A file name only this test's context has. */
    private String marker() {
        return "marker-" + tmp.getFileName();
    }

    private void copyFromTheContextReachesOutputs(boolean direct) throws Exception {
        Files.writeString(context.resolve("hello.txt"), "hello from the context\n");
        Files.writeString(context.resolve(marker()), "");
        Path oci = tmp.resolve("image.oci.tar");
        Path dir = tmp.resolve("out");

        int code = kiln(
                direct,
                "FROM busybox\nCOPY . /greeting/\n",
                "--output",
                "type=oci,dest=" + oci,
                "--output",
                "type=local,dest=" + dir);

        assertThat(code).as(err()).isZero();
        assertThat(dir.resolve("greeting/hello.txt")).hasContent("hello from the context");
        assertThat(dir.resolve("bin/busybox")).isRegularFile();
        Map<String, byte[]> archive = tarEntries(Files.readAllBytes(oci));
        assertThat(archive).containsKeys("oci-layout", "index.json");
        assertThat(archive.entrySet().stream()
                        .filter(entry -> entry.getKey().startsWith("blobs/sha256/"))
                        .flatMap(entry -> layerFiles(entry.getValue()).entrySet().stream())
                        .filter(file -> file.getKey().equals("greeting/hello.txt"))
                        .map(file -> new String(file.getValue(), StandardCharsets.UTF_8)))
                .containsExactly("hello from the context\n");
        assertThat(err()).contains("exported to");
    }

    /** As buildx and the embedded engine: -t names an oci or docker output that has no name= of its own. */
    @Test
    void tagsNameAnImageArchiveThroughTheDaemon() throws Exception {
        Path oci = tmp.resolve("tagged.oci.tar");
        Path named = tmp.resolve("named.oci.tar");

        int code = kiln(
                "FROM busybox\nRUN echo tagged > /t.txt\n",
                "-t",
                "app:1",
                "--output",
                "type=oci,dest=" + oci,
                "--output",
                "type=oci,dest=" + named + ",name=other:2");

        assertThat(code).as(err()).isZero();
        assertThat(JSON.readTree(tarEntries(Files.readAllBytes(oci)).get("index.json"))
                        .findValuesAsText("io.containerd.image.name"))
                .containsExactly("docker.io/library/app:1");
        assertThat(JSON.readTree(tarEntries(Files.readAllBytes(named)).get("index.json"))
                        .findValuesAsText("io.containerd.image.name"))
                .containsExactly("docker.io/library/other:2");
    }

    @Test
    void aTarFalseLayoutWrittenByTheDaemonKeepsTheImagesListedUnderOtherNames() throws Exception {
        aTarFalseLayoutKeepsTheImagesListedUnderOtherNames(true);
    }

    /** As buildctl's: the daemon sends the blobs to the store this client serves, which lists the image after. */
    @Test
    void aTarFalseLayoutWrittenThroughTheSessionKeepsTheImagesListedUnderOtherNames() throws Exception {
        aTarFalseLayoutKeepsTheImagesListedUnderOtherNames(false);
    }

    private void aTarFalseLayoutKeepsTheImagesListedUnderOtherNames(boolean direct) throws Exception {
        Path layout = tmp.resolve("layout");
        for (String[] build : new String[][] {
            {"one", "example.com/app:1"}, {"two", "example.com/app:2"}, {"three", "example.com/app:1"}
        }) {
            int code = kiln(
                    direct,
                    "FROM busybox\nRUN echo " + build[0] + " > /n.txt\n",
                    "--output",
                    "type=oci,tar=false,dest=" + layout + ",name=" + build[1]);
            assertThat(code).as(err()).isZero();
        }

        JsonNode manifests =
                JSON.readTree(layout.resolve("index.json").toFile()).get("manifests");
        assertThat(manifests.findValuesAsText("org.opencontainers.image.ref.name"))
                .containsExactly("2", "1");
        assertThat(manifests.findValuesAsText("io.containerd.image.name"))
                .containsExactly("example.com/app:2", "example.com/app:1");
        assertThat(layout.resolve("oci-layout")).content().contains("imageLayoutVersion");
        for (var tagged : Map.of("1", "three", "2", "two").entrySet()) {
            Path bundle = tmp.resolve("bundle-" + tagged.getKey());
            Tools.run("umoci", "unpack", "--image", layout + ":" + tagged.getKey(), bundle.toString());
            assertThat(bundle.resolve("rootfs/n.txt")).hasContent(tagged.getValue());
        }
    }

    @Test
    void platformOptBuildsEachPlatformIntoItsOwnDirectoryThroughTheSession() throws Exception {
        Files.writeString(context.resolve("amd64.txt"), "made for amd64\n");
        Files.writeString(context.resolve("arm64.txt"), "made for arm64\n");
        Path dir = tmp.resolve("platforms");
        Path tar = tmp.resolve("platforms.tar");

        int code = kiln(
                false,
                "FROM scratch\nARG TARGETARCH\nCOPY ${TARGETARCH}.txt /arch.txt\n",
                "--opt",
                "platform=linux/amd64,linux/arm64",
                "--output",
                "type=local,dest=" + dir,
                "--output",
                "type=tar,dest=" + tar);

        assertThat(code).as(err()).isZero();
        assertThat(dir.resolve("linux_amd64/arch.txt")).hasContent("made for amd64");
        assertThat(dir.resolve("linux_arm64/arch.txt")).hasContent("made for arm64");
        assertThat(tarEntries(Files.readAllBytes(tar))).containsKeys("linux_amd64/arch.txt", "linux_arm64/arch.txt");
    }

    @Test
    void aSecretFromAFileIsMountedForRun() throws Exception {
        Path secret = Files.writeString(tmp.resolve("token"), "s3cr3t-value");
        Path dir = tmp.resolve("out");

        int code = kiln(
                "FROM busybox\nRUN --mount=type=secret,id=token cat /run/secrets/token > /seen.txt\n",
                "--secret",
                "id=token,src=" + secret,
                "--output",
                "type=local,dest=" + dir);

        assertThat(code).as(err()).isZero();
        assertThat(dir.resolve("seen.txt")).hasContent("s3cr3t-value");
    }

    @Test
    void aFailingRunPrintsItsDockerfileLinesAndBuildKitsMessageThroughTheDaemonAndWithout() throws Exception {
        // the lines come from the error's errdefs.Source, framed as buildctl draws them; the output was in progress
        String report = """
                Dockerfile:2
                --------------------
                   1 |     FROM busybox
                   2 | >>> RUN echo before-failing && exit 3
                   3 |    \s
                --------------------
                kiln: build failed: process "/bin/sh -c echo before-failing && exit 3" did not complete \
                successfully: exit code: 3
                """;

        int code = kiln("FROM busybox\nRUN echo before-failing && exit 3\n");

        assertThat(code).isEqualTo(1);
        assertThat(err()).contains("before-failing").endsWith(report);
        assertThat(err())
                .as("BuildKit's error line, then the step's last output again, as buildctl shows them")
                .containsPattern("(?m)^#\\d+ ERROR: process \"/bin/sh -c echo before-failing && exit 3\" did not "
                        + "complete successfully: exit code: 3\n------\n > \\[1/2\\] RUN echo before-failing && exit 3:\n"
                        + "\\d+\\.\\d{3} before-failing\n------\nDockerfile:2$");
        assertThat(failedBuildWithoutDaemon()).endsWith(report);
    }

    @Test
    void aDockerfileThatDoesNotParsePrintsItsLinesAndBuildKitsMessageWhereverItsFrontendRuns() throws Exception {
        String dockerfile = "FROM busybox\nRUN true\nFRON x\n";
        // buildkitd v0.24.0's message, under the frame buildctl draws from its errdefs.Source
        String frame = """
                Dockerfile:3
                --------------------
                   1 |     FROM busybox
                   2 |     RUN true
                   3 | >>> FRON x
                   4 |    \s
                --------------------
                """;
        String report = frame
                + "kiln: build failed: dockerfile parse error on line 3: unknown instruction: FRON (did you mean FROM?)\n";

        // the frontend in the daemon
        assertThat(kiln(dockerfile)).isEqualTo(1);
        assertThat(err()).endsWith(report);
        // the frontend in the daemon, called by this client's (a shell on error), whose Return keeps the details
        assertThat(kiln(dockerfile, "--on-error", "shell")).isEqualTo(1);
        assertThat(err()).endsWith(report);
        // the frontend in this client, its error returned through the daemon's LLB bridge
        String here = "java:" + dev.kiln.dockerfile.DockerfileFrontend.class.getName();
        List<String> local = List.of("--local", "context=" + context, "--local", "dockerfile=" + context);
        List<String> args = new ArrayList<>(List.of("--state", state.toString(), "--frontend", here));
        args.addAll(local);
        assertThat(daemonBuild("", true).run(Invocation.parse(args))).isEqualTo(1);
        assertThat(err()).endsWith(report);
        // no daemon
        assertThat(failedBuildWithoutDaemon()).endsWith(report);
    }

    /** What {@code kiln build --no-daemon} of {@link #context} prints on stderr, having failed. */
    private String failedBuildWithoutDaemon() throws Exception {
        ByteArrayOutputStream embedded = new ByteArrayOutputStream();
        PrintStream stderrBefore = System.err;
        System.setErr(new PrintStream(embedded, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = Main.run(List.of(
                    "build",
                    "--no-daemon",
                    "--state",
                    tmp.resolve("embedded-state").toString(),
                    "--build-context",
                    "busybox=" + rootfs,
                    "--progress",
                    "quiet",
                    context.toString()));
        } finally {
            System.setErr(stderrBefore);
        }
        String printed = embedded.toString(StandardCharsets.UTF_8);
        assertThat(code).as(printed).isEqualTo(1);
        return printed;
    }

    @Test
    void aCachedRebuildRunsNoStep() throws Exception {
        Files.writeString(context.resolve("data.txt"), "cached\n");
        String dockerfile = "FROM busybox\nCOPY data.txt /data.txt\nRUN cat /data.txt > /copy.txt\n";
        assertThat(kiln(dockerfile, "--output", "type=tar,dest=" + tmp.resolve("one.tar")))
                .as(err())
                .isZero();

        assertThat(kiln(dockerfile, "--output", "type=tar,dest=" + tmp.resolve("two.tar")))
                .as(err())
                .isZero();

        assertThat(err())
                .as("the daemon is named first, as buildx names its builder")
                .startsWith("#0 building with the daemon of "
                        + state.toAbsolutePath().normalize() + "\n\n#1 ");
        assertThat(err())
                .containsPattern("(?m)^#(\\d+) \\[\\d/\\d\\] COPY data.txt /data.txt\\n#\\1 CACHED$")
                .containsPattern("(?m)^#(\\d+) \\[\\d/\\d\\] RUN cat /data.txt > /copy.txt\\n#\\1 CACHED$")
                .contains(": 0 steps run, ");
        assertThat(tarEntries(Files.readAllBytes(tmp.resolve("two.tar")))).containsKey("copy.txt");
    }

    @Test
    void noDaemonBuildsInThisProcessAndStartsNoDaemon() throws Exception {
        Path ownState = tmp.resolve("state");
        Files.writeString(context.resolve("Dockerfile"), "FROM busybox\nRUN echo embedded > /where.txt\n");
        Path dir = tmp.resolve("out");

        int code = Main.run(List.of(
                "build",
                "--no-daemon",
                "--state",
                ownState.toString(),
                "--build-context",
                "busybox=" + rootfs,
                "--progress",
                "quiet",
                "--output",
                "type=local,dest=" + dir,
                context.toString()));

        assertThat(code).isZero();
        assertThat(dir.resolve("where.txt")).hasContent("embedded");
        assertThat(DaemonEndpoint.running(ownState)).isEmpty();
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "direct access: {0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
    void onErrorShellOpensAShellThroughTheDaemonOnTheFilesTheFailedStepLeft(boolean direct) throws Exception {
        Files.writeString(
                context.resolve("Dockerfile"),
                "FROM busybox\nWORKDIR /work\nRUN echo left behind > marker && exit 3\n");
        int code = daemonBuild("cat marker; pwd; exit\n", direct)
                .run(Invocation.parse(StateDaemon.busyboxBuild(state, rootfs, context, "--on-error", "shell")));

        assertThat(code).as(err()).isEqualTo(1);
        assertThat(stdout.toString(StandardCharsets.UTF_8)).as(err()).isEqualTo("left behind\n/work\n");
        assertThat(err())
                .contains("failed; opening a shell in its container")
                .contains("kiln: build failed:")
                .contains("exit code: 3");
        // the daemon kept serving: the next build works
        assertThat(kiln("FROM busybox\nRUN echo after\n")).as(err()).isZero();
    }

    @Test
    void debugOpensAShellThroughTheDaemonInTheResultOfTheNamedStep() throws Exception {
        Files.writeString(
                context.resolve("Dockerfile"),
                "FROM busybox\nWORKDIR /w\nRUN echo made > made.txt\nRUN echo later > later.txt\n");
        int code = daemonBuild("cat made.txt; ls; pwd; exit\n", true)
                .debugging("echo made")
                .run(Invocation.parse(StateDaemon.busyboxBuild(state, rootfs, context)));

        assertThat(code).as(err()).isZero();
        // the step's own result: what later steps made is not there, and its working directory applies
        assertThat(stdout.toString(StandardCharsets.UTF_8)).as(err()).isEqualTo("made\nmade.txt\n/w\n");
        assertThat(err()).contains("opening a shell in the result of");
    }

    @Test
    void aJavaFrontendRunsInTheClientOverTheDaemonsGateway() throws Exception {
        Path out = tmp.resolve("java-out");
        stderr.reset();
        int code = new DaemonBuild(
                        new PrintStream(stdout, true), new PrintStream(stderr, true), InputStream.nullInputStream())
                .run(Invocation.parse(List.of(
                        "--state",
                        state.toString(),
                        "--frontend",
                        "java:" + BuildCommandTest.WritesMarker.class.getName(),
                        "--opt",
                        "marker=via-daemon",
                        "--local",
                        "rootfs=" + rootfs,
                        "--progress",
                        "plain",
                        "--output",
                        "type=local,dest=" + out)));

        assertThat(code).as(err()).isZero();
        assertThat(out.resolve("marker")).hasContent("via-daemon");
        assertThat(DaemonEndpoint.running(state).orElseThrow().pid()).isEqualTo(firstDaemonPid);
    }

    @Test
    void attestationsAskedThroughTheDaemonAreWrittenBesideTheResult() throws Exception {
        Path out = tmp.resolve("attested");

        int code = kiln(
                "FROM busybox\nRUN echo attested > /a.txt\n",
                "--provenance=mode=max",
                "--sbom=true",
                "--output",
                "type=local,dest=" + out);

        assertThat(code).as(err()).isZero();
        assertThat(out.resolve("a.txt")).hasContent("attested");
        assertThat(Files.readString(out.resolve("provenance.json")))
                .contains("\"predicateType\":")
                .contains("https://slsa.dev/provenance/v1");
        assertThat(Files.readString(out.resolve("sbom.spdx.json"))).contains("SPDX-2.3");
    }

    @Test
    void aFrontendsWarningsReachTheClientThroughTheDaemon() throws Exception {
        int code = kiln("FROM busybox\nMAINTAINER someone@example.com\nRUN echo warned\n");

        assertThat(code).as(err()).isZero();
        assertThat(err()).contains("1 warning found:").contains("MaintainerDeprecated");
    }

    @Test
    void duListsRecordsAndPruneRemovesThem() throws Exception {
        assertThat(kiln("FROM busybox\nRUN echo for-du > /du.txt\n")).as(err()).isZero();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DiskUsageCommand command = new DiskUsageCommand(new PrintStream(out, true), new PrintStream(stderr, true));

        assertThat(command.du(List.of("--state", state.toString()))).isZero();
        List<String> du = out.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(du.getFirst()).matches("ID\\s+RECLAIMABLE\\s+SIZE\\s+LAST ACCESSED");
        assertThat(du.size()).isGreaterThan(3);
        assertThat(du.getLast()).matches("Total:\\s+\\d+(\\.\\d\\d)?[kMG]?B");

        out.reset();
        assertThat(command.prune(List.of("--state", state.toString(), "--all"))).isZero();
        List<String> pruned = out.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(pruned.getFirst()).matches("ID\\s+RECLAIMABLE\\s+SIZE\\s+LAST ACCESSED");
        assertThat(pruned.size()).isGreaterThan(2);
        assertThat(pruned.getLast()).matches("Total:\\s+\\d+(\\.\\d\\d)?[kMG]?B");
    }

    @Test
    void theDaemonsCopyOfAContextIsListedByDuAndRemovedByPrune() throws Exception {
        copyFromTheContextReachesOutputs(false);
        assertThat(copiesOf(context)).isNotEmpty();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DiskUsageCommand command = new DiskUsageCommand(new PrintStream(out, true), new PrintStream(stderr, true));

        assertThat(command.du(List.of("--state", state.toString(), "-v", "--filter", "type==source.local")))
                .isZero();
        String listed = out.toString(StandardCharsets.UTF_8);
        assertThat(listed).containsPattern("ID:\\s+copy-").contains("local source for context");

        out.reset();
        assertThat(command.prune(List.of("--state", state.toString(), "--filter", "type==source.local")))
                .as(stderr.toString(StandardCharsets.UTF_8))
                .isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("copy-");
        assertThat(copiesOf(context)).isEmpty();
    }

    @Test
    void aDockerfileBuildsFromAnOciLayoutTheDaemonReadsWhereItLies() throws Exception {
        buildsFromAnOciLayout(true);
    }

    @Test
    void aDockerfileBuildsFromAnOciLayoutTheClientServesThroughItsSession() throws Exception {
        buildsFromAnOciLayout(false);
    }

    /**
     * An image built to an OCI archive, unpacked to a directory (an OCI image layout), is the base of a second build
     * as buildx's {@code --build-context base=oci-layout:///DIR@DIGEST}; the second build's step reads a file the
     * first one wrote.
     */
    private void buildsFromAnOciLayout(boolean direct) throws Exception {
        Path archive = tmp.resolve("base.oci.tar");
        assertThat(kiln(
                        direct,
                        "FROM busybox\nRUN echo made in the base > /base-file\n",
                        "--output",
                        "type=oci,dest=" + archive))
                .as(err())
                .isZero();
        Path layout = Files.createDirectories(tmp.resolve("layout"));
        assertThat(new ProcessBuilder("tar", "-xf", archive.toString(), "-C", layout.toString())
                        .inheritIO()
                        .start()
                        .waitFor())
                .isZero();
        String manifest = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(layout.resolve("index.json").toFile())
                .path("manifests")
                .path(0)
                .path("digest")
                .asText();
        assertThat(manifest).startsWith("sha256:");
        Path out = tmp.resolve("from-layout");

        int code = kiln(
                direct,
                "FROM base\nRUN cat /base-file > /out\n",
                "--build-context",
                "base=oci-layout://" + layout + "@" + manifest,
                "--output",
                "type=local,dest=" + out);

        assertThat(code).as(err()).isZero();
        assertThat(out.resolve("out")).hasContent("made in the base");
    }

    private static Map<String, byte[]> tarEntries(byte[] tar) throws IOException {
        Map<String, byte[]> entries = new HashMap<>();
        try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
            for (TarArchiveEntry entry; (entry = in.getNextEntry()) != null; ) {
                entries.put(
                        entry.getName().replaceFirst("^\\./", ""), entry.isFile() ? in.readAllBytes() : new byte[0]);
            }
        }
        return entries;
    }

    /** The files of a gzip'd layer blob; none for any other blob (a manifest, a config). */
    private static Map<String, byte[]> layerFiles(byte[] blob) {
        if (blob.length < 2 || (blob[0] & 0xff) != 0x1f || (blob[1] & 0xff) != 0x8b) {
            return Map.of();
        }
        try (GZIPInputStream gunzip = new GZIPInputStream(new ByteArrayInputStream(blob))) {
            return tarEntries(gunzip.readAllBytes());
        } catch (IOException e) {
            return Map.of();
        }
    }
}
