package dev.kiln.daemon;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.api.control.SolveResponse;
import dev.kiln.core.ImageReference;
import dev.kiln.gateway.BuildFunction;
import dev.kiln.gateway.Client;
import dev.kiln.gateway.Container;
import dev.kiln.gateway.ContainerProcess;
import dev.kiln.gateway.ExitException;
import dev.kiln.gateway.GatewayException;
import dev.kiln.gateway.Mount;
import dev.kiln.gateway.NewContainerRequest;
import dev.kiln.gateway.ReadDirRequest;
import dev.kiln.gateway.ReadRequest;
import dev.kiln.gateway.Reference;
import dev.kiln.gateway.ResolveImageConfigOpt;
import dev.kiln.gateway.Result;
import dev.kiln.gateway.SolveRequest;
import dev.kiln.gateway.StartRequest;
import dev.kiln.gateway.Stat;
import dev.kiln.gateway.StatRequest;
import dev.kiln.gateway.WarnOpts;
import dev.kiln.gateway.WinSize;
import dev.kiln.gateway.grpc.ForwardedFrontend;
import dev.kiln.llb.FileAction;
import dev.kiln.llb.RunOption;
import dev.kiln.llb.State;
import dev.kiln.llb.pb.SecurityMode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A Java frontend that uses the whole gateway API and writes what it saw into its result, a file {@code
 * /report.txt} of {@code key=value} lines, so that a test sees it as a user would: in the exported files. The same
 * class runs in the test's JVM (forwarded to a daemon) and as a frontend process on stdio.
 *
 * <p>Options: {@code base} the busybox image; {@code dockerfile=1} to solve the session's Dockerfile through
 * dockerfile.v0; {@code container=1} to run processes in a container; {@code fail=MESSAGE} to fail with it;
 * {@code failing-step=1} to solve a step that exits 5.
 */
public final class ProbeFrontend implements BuildFunction {

    /**
     * The report of a probe run with {@code dockerfile=1} wherever its solves, reads, stat, readdir and Dockerfile
     * solve all work: the same on Kiln's daemon and on buildkitd.
     */
    static final Map<String, String> SOLVED_AND_READ = Map.of(
            "caps.solve.base", "true",
            "workers", "1",
            "config.linux", "true",
            "read", "built-by-probe",
            "stat.size", "15",
            "stat.regular", "true",
            "readdir", "link->out.txt,out.txt",
            "again", "built-by-probe",
            "dockerfile.read", "from-dockerfile");

    /**
     * Runs the probe forwarded to the daemon at {@code address}, as buildctl runs a frontend, from the busybox image
     * {@code base} with the options {@code opts} (name, value, name, value...) besides.
     */
    static SolveResponse forward(String address, ImageReference base, String... opts) throws Exception {
        Map<String, String> attrs = new TreeMap<>(Map.of("base", base.toString()));
        for (int i = 0; i < opts.length; i += 2) {
            attrs.put(opts[i], opts[i + 1]);
        }
        return ForwardedFrontend.run(
                address,
                new ProbeFrontend(),
                ForwardedFrontend.Options.defaults().withFrontendAttrs(attrs));
    }

    /**
     * Runs the probe with {@code fail=MESSAGE}: the client's build fails with the frontend's own message, the same
     * on Kiln's daemon and on buildkitd.
     */
    static void assertItsFailureFailsTheBuild(String address, ImageReference base) {
        String message = "Probefile:3: unknown instruction: FOOBAR";
        assertThatThrownBy(() -> forward(address, base, "fail", message))
                .isInstanceOf(GatewayException.class)
                .hasMessageContaining(message);
    }

    /** Runs the probe with {@code failing-step=1}: the client's build fails with a message that holds {@code error}. */
    static void assertAFailingStepFailsTheBuild(String address, ImageReference base, String error) {
        assertThatThrownBy(() -> forward(address, base, "failing-step", "1"))
                .isInstanceOf(GatewayException.class)
                .hasMessageContaining(error);
    }

    @Override
    public Result build(Client client) throws Exception {
        Map<String, String> opts = client.buildOpts().opts();
        Map<String, String> report = new TreeMap<>();
        String base = opts.get("base");
        if (base == null) {
            throw new GatewayException("the probe needs the option base (a busybox image)");
        }
        report.put("opts.greeting", opts.getOrDefault("greeting", ""));
        report.put("caps.solve.base", String.valueOf(client.buildOpts().caps().contains("solve.base")));
        report.put("workers", String.valueOf(client.buildOpts().workers().size()));
        client.warn(null, "the probe was here", WarnOpts.none());
        Map<String, State> inputs = client.inputs();
        report.put("inputs", String.join(",", inputs.keySet()));
        if (inputs.containsKey("tools")) {
            Reference tools = client.solve(SolveRequest.of(inputs.get("tools").marshal()))
                    .ref()
                    .orElseThrow();
            report.put(
                    "inputs.tools.sh",
                    String.valueOf(tools.statFile(new StatRequest("/bin/sh")).isSymlink()
                            || tools.statFile(new StatRequest("/bin/sh")).isRegularFile()));
        }

        String config = new String(
                client.resolveImageConfig(base, ResolveImageConfigOpt.defaults())
                        .config(),
                StandardCharsets.UTF_8);
        report.put("config.linux", String.valueOf(config.contains("\"linux\"")));

        if (opts.containsKey("failing-step")) {
            State failing = State.image(base)
                    .run(RunOption.sh("echo broken >&2; exit 5"))
                    .root();
            client.solve(SolveRequest.of(failing.marshal()).withEvaluate(true));
        }
        if (opts.containsKey("fail")) {
            throw new GatewayException(opts.get("fail"));
        }

        State built = State.image(base)
                .run(RunOption.sh(
                        "mkdir -p /probe && echo built-by-probe > /probe/out.txt && ln -s out.txt /probe/link"))
                .root();
        Reference ref = client.solve(SolveRequest.of(built.marshal()).withEvaluate(true))
                .ref()
                .orElseThrow();
        report.put("read", text(ref.readFile(ReadRequest.of("/probe/out.txt"))).trim());
        Stat stat = ref.statFile(new StatRequest("/probe/out.txt"));
        report.put("stat.size", String.valueOf(stat.size()));
        report.put("stat.regular", String.valueOf(stat.isRegularFile()));
        List<Stat> entries = ref.readDir(ReadDirRequest.of("/probe"));
        report.put(
                "readdir",
                String.join(
                        ",",
                        entries.stream()
                                .map(e -> e.path() + (e.isSymlink() ? "->" + e.linkname() : ""))
                                .sorted()
                                .toList()));
        // building on a returned reference: its LLB came back with it
        State onTop = ref.toState()
                .run(RunOption.sh("cat /probe/link > /probe/again.txt"))
                .root();
        Reference again = client.solve(SolveRequest.of(onTop.marshal())).ref().orElseThrow();
        report.put(
                "again",
                text(again.readFile(ReadRequest.of("/probe/again.txt"))).trim());

        if (opts.containsKey("dockerfile")) {
            Reference fromDockerfile = client.solve(
                            SolveRequest.frontend("dockerfile.v0", Map.of("build-arg:BASE", base))
                                    .withEvaluate(true))
                    .ref()
                    .orElseThrow();
            report.put(
                    "dockerfile.read",
                    text(fromDockerfile.readFile(ReadRequest.of("/df.txt"))).trim());
        }
        if (opts.containsKey("container")) {
            containers(client, ref, report);
        }

        StringBuilder lines = new StringBuilder();
        report.forEach(
                (key, value) -> lines.append(key).append('=').append(value).append('\n'));
        State out = State.scratch()
                .file(FileAction.mkfile("/report.txt", 0644, lines.toString().getBytes(StandardCharsets.UTF_8)));
        Reference reportRef = client.solve(SolveRequest.of(out.marshal())).ref().orElseThrow();
        return Result.of(reportRef).withMetadata("probe", "done".getBytes(StandardCharsets.UTF_8));
    }

    /** A sandboxed process of the container: {@code args} as root in / with busybox's PATH. */
    private static StartRequest process(
            List<String> args, boolean tty, InputStream stdin, OutputStream stdout, OutputStream stderr) {
        return new StartRequest(args, List.of("PATH=/bin"), "", "/", tty, stdin, stdout, stderr, SecurityMode.SANDBOX);
    }

    /** Processes in a container of the built filesystem: input, output, exit codes, a terminal, a signal. */
    private static void containers(Client client, Reference ref, Map<String, String> report) throws Exception {
        try (Container container = client.newContainer(NewContainerRequest.of(List.of(Mount.bind("/", ref, false))))) {
            // the first process is the container's init (BuildKit runs it, then execs the others into it), so it
            // must outlive them; releasing the container stops it
            ContainerProcess init = container.start(process(List.of("sleep", "600"), false, null, null, null));
            ByteArrayOutputStream tty = new ByteArrayOutputStream();
            // stty asks its stdin, which is the terminal only when the process has an input
            ContainerProcess sized = container.start(process(
                    List.of("sh", "-c", "sleep 1; stty size"), true, new ByteArrayInputStream(new byte[0]), tty, null));
            sized.resize(new WinSize(33, 77));
            sized.waitFor();
            report.put("tty.size", text(tty.toByteArray()).trim());

            ByteArrayOutputStream trapped = new ByteArrayOutputStream();
            ContainerProcess trapper = container.start(process(
                    List.of("sh", "-c", "trap 'echo trapped; exit 0' TERM; echo ready; while true; do sleep 0.1; done"),
                    false,
                    null,
                    trapped,
                    null));
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (!text(trapped.toByteArray()).contains("ready") && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            trapper.signal(15);
            reportEnd(report, "signal", trapper, trapped);
            // last: in BuildKit a process that exits non-zero ends its container (its context is cancelled), so
            // processes started after it fail at once with its error
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            ContainerProcess cat = container.start(process(
                    List.of("sh", "-c", "cat /probe/out.txt; read line; echo \"got:$line\"; echo oops >&2; exit 3"),
                    false,
                    new ByteArrayInputStream("hello\n".getBytes(StandardCharsets.UTF_8)),
                    out,
                    err));
            reportEnd(report, "exec", cat, out);
            report.put("exec.stderr", text(err.toByteArray()).trim());

            // the init may be gone already (BuildKit ends the container with the failed process)
            init.signal(9);
            try {
                init.waitFor();
            } catch (GatewayException e) {
                report.put("init.ended", "true");
            }
        }
    }

    /** Waits for {@code process} and reports its exit code and its output's lines as KEY.exit and KEY.stdout. */
    private static void reportEnd(
            Map<String, String> report, String key, ContainerProcess process, ByteArrayOutputStream stdout)
            throws Exception {
        try {
            process.waitFor();
            report.put(key + ".exit", "0");
        } catch (ExitException e) {
            report.put(key + ".exit", String.valueOf(e.exitCode()));
        }
        report.put(key + ".stdout", text(stdout.toByteArray()).trim().replace('\n', '|'));
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
