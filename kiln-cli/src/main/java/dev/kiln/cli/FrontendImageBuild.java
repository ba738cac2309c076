package dev.kiln.cli;

import dev.kiln.core.Platform;
import dev.kiln.gateway.BuildFunction;
import dev.kiln.gateway.Client;
import dev.kiln.gateway.GatewayException;
import dev.kiln.gateway.Result;
import dev.kiln.gateway.SolveRequest;
import dev.kiln.llb.CopyOption;
import dev.kiln.llb.CreatedAt;
import dev.kiln.llb.FileAction;
import dev.kiln.llb.Mount;
import dev.kiln.llb.NetMode;
import dev.kiln.llb.OpOption;
import dev.kiln.llb.RunOption;
import dev.kiln.llb.State;
import dev.kiln.oci.ContainerConfig;
import dev.kiln.oci.ImageConfig;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The build of a frontend image, as Kiln's Java frontend ({@code kiln frontend-image} runs it): the staged root
 * filesystem ({@link FrontendImageCommand} made it: a jlinked Java runtime, the host libraries it needs, the jars)
 * from the local {@value #LOCAL}, plus, when asked, a JDK AOT cache trained by running the frontend once in the image
 * itself (the cache must be made by the same runtime, on the same class path, that will use it). The AOT cache is a
 * layer of its own, every file of which has the build's timestamp, so that the image is the same bytes each time
 * for the same inputs and SOURCE_DATE_EPOCH.
 *
 * <p>Options: {@code class} (the frontend's class), {@code classpath} (the jars in the image, colon-separated, in
 * order), {@code aot} ({@code true} or {@code false}), {@code epoch} (seconds; the files' time).
 */
public final class FrontendImageBuild implements BuildFunction {

    static final String LOCAL = "frontend-image";
    static final String JAVA = "/opt/kiln/java/bin/java";
    static final String AOT_CACHE = "/opt/kiln/frontend.aot";
    static final String ENTRY_CLASS = "dev.kiln.gateway.grpc.StdioFrontend";

    /**
     * The JVM's flags, the same for the training run and the frontend's (an AOT cache maps only when they match): the
     * serial collector and C1 only suit a short-lived process; no perf data file (the root filesystem need not be
     * writable); JVM messages on stderr, since stdout is the gRPC connection.
     */
    static final List<String> JVM_FLAGS = List.of(
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-XX:-UsePerfData",
            "--enable-native-access=ALL-UNNAMED",
            "--sun-misc-unsafe-memory-access=allow",
            "-Xlog:disable",
            "-Xlog:all=warning:stderr");

    /** The frontend capabilities Kiln's Dockerfile frontend has, as BuildKit's label lists them. */
    static final String CAPS =
            "moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests," + "moby.buildkit.frontend.contexts";

    @Override
    public Result build(Client client) throws InterruptedException {
        Map<String, String> opts = client.buildOpts().opts();
        String frontendClass = required(opts, "class");
        String classpath = required(opts, "classpath");
        boolean aot = Boolean.parseBoolean(opts.getOrDefault("aot", "true"));
        Instant epoch = Instant.ofEpochSecond(Long.parseLong(opts.getOrDefault("epoch", "0")));

        State files = State.local(LOCAL, OpOption.customName("[frontend-image] staged runtime and jars"));
        State image = files;
        List<String> run = new ArrayList<>(List.of(JAVA));
        run.addAll(JVM_FLAGS);
        if (aot) {
            List<String> train = new ArrayList<>(run);
            train.addAll(List.of("-XX:AOTCacheOutput=/aot/frontend.aot", "-cp", classpath, ENTRY_CLASS, frontendClass));
            // the training run has no engine on stdin: it reads the build's facts as a real start does (the
            // environment is an engine's), loads and links what a start needs, then fails its Ping
            State trained = files.run(
                            RunOption.args(train),
                            RunOption.env("BUILDKIT_FRONTEND_OPT_0", "filename=Dockerfile"),
                            RunOption.env("BUILDKIT_SESSION_ID", "training"),
                            RunOption.env(
                                    "BUILDKIT_WORKERS",
                                    "[{\"ID\":\"training\",\"Labels\":{},\"Platforms\":[{\"architecture\":"
                                            + "\"amd64\",\"os\":\"linux\"}]}]"),
                            RunOption.env("BUILDKIT_EXPORTEDPRODUCT", "kiln"),
                            RunOption.mount("/aot", Mount.bind(State.scratch())),
                            RunOption.network(NetMode.NONE),
                            RunOption.validExitCodes(0, 1, 2),
                            OpOption.customName("[frontend-image] train the JDK's AOT cache"))
                    .mount("/aot");
            State cache = State.scratch()
                    .file(
                            FileAction.copy(
                                    trained,
                                    "/frontend.aot",
                                    AOT_CACHE,
                                    CopyOption.createDestPath(),
                                    CreatedAt.of(epoch)),
                            OpOption.customName("[frontend-image] AOT cache layer"));
            image = State.merge(List.of(files, cache), OpOption.customName("[frontend-image] runtime and AOT cache"));
            run.add("-XX:AOTCache=" + AOT_CACHE);
        }
        run.addAll(List.of("-cp", classpath, ENTRY_CLASS, frontendClass));

        Result solved = client.solve(SolveRequest.of(image.marshal()));
        ContainerConfig config = ContainerConfig.EMPTY
                .withEntrypoint(run)
                .withEnv(List.of("PATH=/opt/kiln/java/bin:/usr/bin:/bin"))
                .withWorkingDir("/")
                .withLabels(Map.of(
                        "moby.buildkit.frontend.network.none", "true",
                        "moby.buildkit.frontend.caps", CAPS,
                        "dev.kiln.frontend.class", frontendClass));
        ImageConfig imageConfig = ImageConfig.empty(Platform.current()).withConfig(config);
        Result result = Result.empty().withMetadata("containerimage.config", imageConfig.toDockerOciImageJson());
        return solved.ref().map(result::withRef).orElse(result);
    }

    private static String required(Map<String, String> opts, String name) {
        String value = opts.get(name);
        if (value == null || value.isEmpty()) {
            throw new GatewayException("the frontend-image build needs the option " + name + " (from kiln "
                    + "frontend-image); it has " + Arrays.toString(opts.keySet().toArray()));
        }
        return value;
    }
}
