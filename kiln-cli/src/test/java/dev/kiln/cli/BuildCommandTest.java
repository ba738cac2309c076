package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.gateway.BuildFunction;
import dev.kiln.gateway.Client;
import dev.kiln.gateway.Result;
import dev.kiln.gateway.SolveRequest;
import dev.kiln.llb.RunOption;
import dev.kiln.llb.State;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;

class BuildCommandTest extends WithBusyboxContext {

    final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    final ByteArrayOutputStream stderr = new ByteArrayOutputStream();

    private int kiln(byte[] stdin, String... args) throws Exception {
        List<String> all = new ArrayList<>(stateAndRootfs());
        all.addAll(List.of(args));
        return command(stdin).run(all);
    }

    /** The arguments every build of this test starts with: its own state, the busybox rootfs as local "rootfs". */
    private List<String> stateAndRootfs() {
        return List.of("--state", tmp.resolve("state").toString(), "--local", "rootfs=" + rootfs);
    }

    /** The command with the test's stdout and stderr, reading {@code stdin}. */
    private BuildCommand command(byte[] stdin) {
        return new BuildCommand(
                new PrintStream(stdout, true), new PrintStream(stderr, true), new ByteArrayInputStream(stdin));
    }

    private static byte[] definition(State state) {
        return state.marshal().toByteArray();
    }

    /** {@code state}'s marshalled definition in the file {@code name} of the test's directory. */
    private Path definitionFile(String name, State state) throws Exception {
        return Files.write(tmp.resolve(name), definition(state));
    }

    @Test
    void llbDefinitionOnStdinIsBuiltAndExportedAsTarToStdout() throws Exception {
        State state = State.local("rootfs")
                .run(RunOption.sh("echo built > /made-here"))
                .root();

        int code = kiln(definition(state), "--output", "type=tar,dest=-");

        assertThat(code).isZero();
        Map<String, String> files = new HashMap<>();
        try (TarArchiveInputStream tar = new TarArchiveInputStream(new ByteArrayInputStream(stdout.toByteArray()))) {
            for (TarArchiveEntry entry; (entry = tar.getNextEntry()) != null; ) {
                files.put(
                        entry.getName(), entry.isFile() ? new String(tar.readAllBytes(), StandardCharsets.UTF_8) : "");
            }
        }
        assertThat(files).containsEntry("made-here", "built\n").containsKey("bin/busybox");
    }

    @Test
    void plainProgressNumbersStepsAndMarksTheRepeatBuildCached() throws Exception {
        byte[] def = definition(
                State.local("rootfs").run(RunOption.sh("echo progress-line")).root());
        Path out = tmp.resolve("out");

        kiln(def, "--progress", "plain", "--output", "type=local,dest=" + out);
        String first = stderr.toString(StandardCharsets.UTF_8);
        stderr.reset();
        kiln(def, "--progress", "plain", "--output", "type=local,dest=" + out);
        String second = stderr.toString(StandardCharsets.UTF_8);

        assertThat(first)
                .containsPattern("(?m)^#\\d+ /bin/sh -c echo progress-line$")
                .containsPattern("(?m)^#\\d+ \\d+\\.\\d{3} progress-line$")
                .containsPattern("(?m)^#\\d+ DONE \\d+\\.\\ds$");
        assertThat(second).containsPattern("(?m)^#\\d+ CACHED$").doesNotContain("DONE");
        assertThat(out.resolve("bin/busybox")).isRegularFile();
    }

    @Test
    void rawJsonProgressIsOneSolveStatusObjectPerLine() throws Exception {
        byte[] def = definition(
                State.local("rootfs").run(RunOption.sh("echo json-line")).root());

        kiln(def, "--progress", "rawjson");

        List<String> lines = stderr.toString(StandardCharsets.UTF_8).lines().toList();
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        List<com.fasterxml.jackson.databind.JsonNode> events = new ArrayList<>();
        for (String line : lines) {
            events.add(json.readTree(line));
        }
        assertThat(events).allMatch(e -> e.has("vertexes") || e.has("logs") || e.has("warnings"));
        assertThat(events)
                .anyMatch(e -> e.has("vertexes")
                        && e.get("vertexes").get(0).has("completed")
                        && e.get("vertexes").get(0).get("name").asText().contains("echo json-line"));
        assertThat(events)
                .anyMatch(e -> e.has("logs")
                        && new String(
                                        java.util.Base64.getDecoder()
                                                .decode(e.get("logs")
                                                        .get(0)
                                                        .get("data")
                                                        .asText()),
                                        StandardCharsets.UTF_8)
                                .contains("json-line"));
    }

    @Test
    void metadataFileRecordsTheBuild() throws Exception {
        Path metadata = tmp.resolve("meta/build.json");

        kiln(definition(State.local("rootfs")), "--progress", "quiet", "--metadata-file", metadata.toString());

        assertThat(new com.fasterxml.jackson.databind.ObjectMapper()
                        .readTree(metadata.toFile())
                        .get("kiln.build.duration")
                        .asText())
                .endsWith("s");
    }

    @Test
    void javaFrontendClassRunsThroughTheGateway() throws Exception {
        Path out = tmp.resolve("out");

        int code = kiln(
                new byte[0],
                "--frontend",
                "java:" + WritesMarker.class.getName(),
                "--opt",
                "marker=from-opt",
                "--output",
                "type=local,dest=" + out);

        assertThat(code).isZero();
        assertThat(Files.readString(out.resolve("marker"))).isEqualTo("from-opt\n");
    }

    /** A frontend that writes its "marker" option into a file of the result. */
    public static final class WritesMarker implements BuildFunction {
        @Override
        public Result build(Client client) throws Exception {
            String marker = client.buildOpts().opts().get("marker");
            State state = State.local("rootfs")
                    .run(RunOption.sh("echo " + marker + " > /marker"))
                    .root();
            return client.solve(SolveRequest.of(state.marshal()));
        }
    }

    @Test
    void failingStepExitsWithItsCodeAndCommandInTheMessage() {
        byte[] def = definition(State.local("rootfs")
                .run(RunOption.sh("echo about to fail; exit 7"))
                .root());

        assertThatThrownBy(() -> kiln(def)).hasMessageContaining("exit code: 7").hasMessageContaining("about to fail");
    }

    @Test
    void definitionFileIsBuiltLikeStdin() throws Exception {
        Path def = definitionFile(
                "hello.llb",
                State.local("rootfs").run(RunOption.sh("echo from-file > /f")).root());
        Path out = tmp.resolve("out");

        int code = kiln(new byte[0], "--definition", def.toString(), "--output", "type=local,dest=" + out);

        assertThat(code).isZero();
        assertThat(Files.readString(out.resolve("f"))).isEqualTo("from-file\n");
        assertThatThrownBy(() -> kiln(
                        new byte[0], "--definition", tmp.resolve("missing.llb").toString()))
                .hasMessageContaining("missing.llb: no such file");
    }

    @Test
    void onErrorShellOpensAShellInTheFailedStepsContainerDrivenByScriptedInput() throws Exception {
        Path def = definitionFile(
                "failing.llb",
                State.local("rootfs")
                        .dir("/work")
                        .run(
                                RunOption.sh("echo state-at-failure > /work/marker; exit 4"),
                                RunOption.env("STEP_ENV", "kept"))
                        .root());
        byte[] script = "pwd; cat marker; echo env=$STEP_ENV; exit 0\n".getBytes(StandardCharsets.UTF_8);

        assertThatThrownBy(() ->
                        kiln(script, "--definition", def.toString(), "--on-error", "shell", "--progress", "plain"))
                .hasMessageContaining("exit code: 4");

        assertThat(stdout.toString(StandardCharsets.UTF_8)).isEqualTo("/work\nstate-at-failure\nenv=kept\n");
        assertThat(stderr.toString(StandardCharsets.UTF_8)).contains("opening a shell in its container");
        assertThat(dev.kiln.worker.sys.Mounts.mountPointsUnder(tmp.resolve("state")))
                .isEmpty();
    }

    @Test
    void debugOpensAShellInTheResultOfTheNamedStep() throws Exception {
        Path def = definitionFile(
                "two-steps.llb",
                State.local("rootfs")
                        .run(RunOption.sh("echo one > /one"))
                        .root()
                        .run(RunOption.sh("echo two > /two"))
                        .root());
        byte[] script = "test -e /two || echo no-two; cat /one; exit\n".getBytes(StandardCharsets.UTF_8);
        List<String> debugArgs = new ArrayList<>(stateAndRootfs());
        debugArgs.addAll(List.of("--definition", def.toString(), "--progress", "quiet"));

        int code = command(script).debug("echo one", debugArgs);

        assertThat(code).isZero();
        assertThat(stdout.toString(StandardCharsets.UTF_8)).isEqualTo("no-two\none\n");
        assertThatThrownBy(() -> command(new byte[0]).debug("no such step", debugArgs))
                .hasMessageContaining("no step of this build matches \"no such step\"");
    }

    @Test
    void dockerfileBuildWithANamedContextAndASecret() throws Exception {
        Path context = Files.createDirectories(tmp.resolve("app"));
        Files.writeString(context.resolve("Dockerfile"), """
                FROM busybox
                RUN --mount=type=secret,id=token test "$(cat /run/secrets/token)" = s3cret && echo used > /secret-used
                """);
        Path token = Files.writeString(tmp.resolve("token.txt"), "s3cret");
        Path out = tmp.resolve("out");

        int code = kiln(
                new byte[0],
                "--build-context",
                "busybox=" + rootfs,
                "--secret",
                "id=token,src=" + token,
                "--progress",
                "plain",
                "-o",
                out.toString(),
                context.toString());

        assertThat(code).isZero();
        assertThat(out.resolve("secret-used")).hasContent("used\n");
        assertThat(out.resolve("run/secrets/token")).doesNotExist();
    }

    @Test
    void dockerfileBuildsFromAnOciLayoutNamedContext() throws Exception {
        Path first = Files.createDirectories(tmp.resolve("first"));
        Files.writeString(first.resolve("Dockerfile"), "FROM busybox\nRUN echo layered > /layer-file\n");
        Path archive = tmp.resolve("base.oci.tar");
        Path metadata = tmp.resolve("base.json");
        kiln(
                new byte[0],
                "--build-context",
                "busybox=" + rootfs,
                "--progress",
                "quiet",
                "--metadata-file",
                metadata.toString(),
                "--output",
                "type=oci,dest=" + archive,
                first.toString());
        Path layout = Files.createDirectories(tmp.resolve("layout"));
        assertThat(new ProcessBuilder("tar", "-xf", archive.toString(), "-C", layout.toString())
                        .start()
                        .waitFor())
                .isZero();
        String digest = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(metadata.toFile())
                .get("containerimage.digest")
                .asText();

        Path second = Files.createDirectories(tmp.resolve("second"));
        Files.writeString(second.resolve("Dockerfile"), "FROM base\nRUN cat /layer-file > /seen\n");
        Path out = tmp.resolve("out");
        int code = kiln(
                new byte[0],
                "--build-context",
                "base=oci-layout://" + layout + "@" + digest,
                "--progress",
                "quiet",
                "-o",
                out.toString(),
                second.toString());

        assertThat(code).isZero();
        assertThat(out.resolve("seen")).hasContent("layered\n");
    }

    @Test
    void theOciLayoutsAmongTheLocalsAreNamedForTheDaemon() throws Exception {
        Invocation invocation = BuildCommand.parse(List.of(
                "--local",
                "context=/src",
                "--oci-layout",
                "layouts=/images",
                "--build-context",
                "base=oci-layout:///images/base@sha256:" + "0".repeat(64),
                "--build-context",
                "extra=/extra"));

        String store = invocation.opts().get("context:base").replaceFirst("^oci-layout://([^@]+)@.*", "$1");
        assertThat(invocation.locals())
                .containsEntry("layouts", Path.of("/images"))
                .containsEntry(store, Path.of("/images/base"))
                .containsKeys("context", "extra");
        assertThat(invocation.ociLayouts()).containsExactlyInAnyOrder("layouts", store);
    }

    @Test
    void garbageOnStdinIsAUsageErrorNamingTheProblem() {
        assertThatThrownBy(() -> kiln(new byte[] {(byte) 0xff, 0x01, 0x02}))
                .isInstanceOf(UsageException.class)
                .hasMessageContaining("not a marshalled LLB definition");
    }

    @Test
    void outputSpecsParseAsDockerAndBuildctlWriteThem() throws Exception {
        assertThat(OutputSpec.parse("type=local,dest=out")).isEqualTo(new OutputSpec("local", Map.of("dest", "out")));
        assertThat(OutputSpec.parse("out")).isEqualTo(new OutputSpec("local", Map.of("dest", "out")));
        assertThat(OutputSpec.parse("-")).isEqualTo(new OutputSpec("tar", Map.of("dest", "-")));
        assertThatThrownBy(() -> OutputSpec.parse("dest=out")).hasMessageContaining("missing type=");
        assertThatThrownBy(() -> BuildCommand.parse(List.of("--bogus"))).hasMessageContaining("unknown option --bogus");
        assertThat(BuildCommand.parse(List.of("--insecure-registry", "registry.internal:5000"))
                        .insecureRegistries())
                .containsExactly("registry.internal:5000");
        assertThatThrownBy(() -> BuildCommand.parse(List.of("--local", "nodir")))
                .hasMessageContaining("KEY=VALUE");
    }
}
