package dev.kiln.cli;

import dev.kiln.core.Platform;
import dev.kiln.gateway.BuildFunction;
import dev.kiln.gateway.Client;
import dev.kiln.gateway.GatewayException;
import dev.kiln.gateway.ReadRequest;
import dev.kiln.gateway.Reference;
import dev.kiln.gateway.Result;
import dev.kiln.gateway.SolveRequest;
import dev.kiln.gateway.grpc.StdioFrontend;
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
 * from the local {@value #LOCAL}, plus, when asked, a class data sharing archive of the classes a start loads. The
 * archive is a layer of its own, every file of which has the build's timestamp, so that the image is the same bytes
 * each time for the same inputs and SOURCE_DATE_EPOCH.
 *
 * <p>The archive is the JVM's static one ({@code -Xshare:dump} from a class list), not a JDK AOT cache: JDK 25 writes
 * a different AOT cache on every run, even from one recorded configuration, where {@code -Xshare:dump} writes the
 * same bytes for the same class list. The list comes from a training run of the frontend in the image itself (the
 * archive must be made by the runtime, on the class path, that will use it), made canonical by
 * {@link FrontendImageClassList}; the training run ends the same way every time ({@link
 * dev.kiln.gateway.grpc.StdioFrontend#TRAINING_ENV}).
 *
 * <p>Options: {@code class} (the frontend's class), {@code classpath} (the jars in the image, colon-separated, in
 * order), {@code aot} ({@code true} or {@code false}: whether to add the archive), {@code epoch} (seconds; the files'
 * time).
 */
public final class FrontendImageBuild implements BuildFunction {

    static final String LOCAL = "frontend-image";
    static final String JAVA = "/opt/kiln/java/bin/java";
    static final String CDS_ARCHIVE = "/opt/kiln/frontend.jsa";
    static final String ENTRY_CLASS = "dev.kiln.gateway.grpc.StdioFrontend";

    /**
     * The JVM's flags, the same for the training run, the dump and the frontend's (an archive maps only when they
     * match): the serial collector and C1 only suit a short-lived process; no perf data file (the root filesystem
     * need not be writable); JVM messages on stderr, since stdout is the gRPC connection.
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
        boolean archive = Boolean.parseBoolean(opts.getOrDefault("aot", "true"));
        Instant epoch = Instant.ofEpochSecond(Long.parseLong(opts.getOrDefault("epoch", "0")));

        State files = State.local(LOCAL, OpOption.customName("[frontend-image] staged runtime and jars"));
        State image = files;
        List<String> run = new ArrayList<>(List.of(JAVA));
        run.addAll(JVM_FLAGS);
        if (archive) {
            byte[] classList =
                    FrontendImageClassList.canonical(trainingClassList(client, files, run, classpath, frontendClass));
            List<String> dump = new ArrayList<>(run);
            dump.addAll(List.of(
                    "-Xshare:dump",
                    "-XX:SharedClassListFile=/cds/classes.txt",
                    "-XX:SharedArchiveFile=/cds/frontend.jsa",
                    "-cp",
                    classpath));
            State dumped = files.run(
                            RunOption.args(dump),
                            RunOption.mount(
                                    "/cds",
                                    Mount.bind(
                                            State.scratch().file(FileAction.mkfile("/classes.txt", 0644, classList)))),
                            RunOption.network(NetMode.NONE),
                            OpOption.customName("[frontend-image] dump the class data sharing archive"))
                    .mount("/cds");
            State cache = State.scratch()
                    .file(
                            FileAction.copy(
                                    dumped,
                                    "/frontend.jsa",
                                    CDS_ARCHIVE,
                                    CopyOption.createDestPath(),
                                    CreatedAt.of(epoch)),
                            OpOption.customName("[frontend-image] class archive layer"));
            image = State.merge(
                    List.of(files, cache), OpOption.customName("[frontend-image] runtime and class archive"));
            run.add("-XX:SharedArchiveFile=" + CDS_ARCHIVE);
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

    /**
     * The classes a start of the frontend loads, as the JVM lists them: from a training run in the image, with an
     * engine's environment, that sends Ping, loads the frontend and reads the facts, then ends without an engine.
     */
    private static byte[] trainingClassList(
            Client client, State files, List<String> run, String classpath, String frontendClass)
            throws InterruptedException {
        List<String> train = new ArrayList<>(run);
        train.addAll(List.of("-XX:DumpLoadedClassList=/cds/classes.txt", "-cp", classpath, ENTRY_CLASS, frontendClass));
        State trained = files.run(
                        RunOption.args(train),
                        RunOption.env(StdioFrontend.TRAINING_ENV, "1"),
                        RunOption.env("BUILDKIT_FRONTEND_OPT_0", "filename=Dockerfile"),
                        RunOption.env("BUILDKIT_SESSION_ID", "training"),
                        RunOption.env(
                                "BUILDKIT_WORKERS",
                                "[{\"ID\":\"training\",\"Labels\":{},\"Platforms\":[{\"architecture\":"
                                        + "\"amd64\",\"os\":\"linux\"}]}]"),
                        RunOption.env("BUILDKIT_EXPORTEDPRODUCT", "kiln"),
                        RunOption.mount("/cds", Mount.bind(State.scratch())),
                        RunOption.network(NetMode.NONE),
                        RunOption.validExitCodes(0, 1, 2),
                        OpOption.customName("[frontend-image] list the classes a start loads"))
                .mount("/cds");
        Reference listed = client.solve(SolveRequest.of(trained.marshal()))
                .ref()
                .orElseThrow(() -> new GatewayException("the training run of the frontend left no class list"));
        return listed.readFile(ReadRequest.of("/classes.txt"));
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
