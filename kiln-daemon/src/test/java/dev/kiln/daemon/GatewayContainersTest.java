package dev.kiln.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.kiln.api.apicaps.APICap;
import dev.kiln.api.control.SolveRequest;
import dev.kiln.api.control.SolveResponse;
import dev.kiln.api.gateway.ExecMessage;
import dev.kiln.api.gateway.ExitMessage;
import dev.kiln.api.gateway.FdMessage;
import dev.kiln.api.gateway.InitMessage;
import dev.kiln.api.gateway.LLBBridgeGrpc;
import dev.kiln.api.gateway.NewContainerRequest;
import dev.kiln.api.gateway.PingRequest;
import dev.kiln.api.gateway.ReleaseContainerRequest;
import dev.kiln.api.gateway.ResizeMessage;
import dev.kiln.api.gateway.ReturnRequest;
import dev.kiln.api.gateway.SignalMessage;
import dev.kiln.llb.State;
import dev.kiln.llb.pb.Meta;
import dev.kiln.llb.pb.Mount;
import dev.kiln.worker.sys.Mounts;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Containers of a forwarded build over the LLBBridge, as buildctl's and buildx's gateway clients use them
 * (NewContainer, ExecProcess, ReleaseContainer), driven by raw gRPC stubs against a real daemon that runs real runc
 * containers from a busybox image solved in the build.
 */
class GatewayContainersTest extends DaemonWithBusybox {

    /** Where the builds' Control.Solve calls wait: a failed test's call must not hold up the next test's. */
    final java.util.concurrent.ExecutorService calls = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();

    /** A forwarded build with the busybox image solved in it: its ref and the id of the image's reference. */
    record Build(String ref, CompletableFuture<SolveResponse> solve, String base) {}

    private Build build(String name) {
        String ref = name + "-" + System.nanoTime();
        CompletableFuture<SolveResponse> solve = CompletableFuture.supplyAsync(
                () -> daemon.control()
                        .withDeadlineAfter(300, TimeUnit.SECONDS)
                        .solve(SolveRequest.newBuilder().setRef(ref).build()),
                calls);
        String base = bridge(ref)
                .solve(dev.kiln.api.gateway.SolveRequest.newBuilder()
                        .setDefinition(State.image(busybox.toString()).marshal())
                        .setAllowResultReturn(true)
                        .setAllowResultArrayRef(true)
                        .setEvaluate(true)
                        .build())
                .getResult()
                .getRef()
                .getId();
        return new Build(ref, solve, base);
    }

    private void finish(Build build) throws Exception {
        bridge(build.ref()).return_(ReturnRequest.getDefaultInstance());
        assertThat(build.solve()).succeedsWithin(120, TimeUnit.SECONDS);
    }

    private static Metadata headers(String ref) {
        Metadata headers = new Metadata();
        headers.put(LlbBridgeService.BUILD_ID, ref);
        return headers;
    }

    private LLBBridgeGrpc.LLBBridgeBlockingStub bridge(String ref) {
        return LLBBridgeGrpc.newBlockingStub(daemon.channel)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers(ref)))
                .withDeadlineAfter(120, TimeUnit.SECONDS);
    }

    /** A container of the busybox image with a writable root, under the client's id {@code id}. */
    private void newContainer(Build build, String id) {
        bridge(build.ref())
                .newContainer(NewContainerRequest.newBuilder()
                        .setContainerID(id)
                        .addMounts(Mount.newBuilder().setDest("/").setResultID(build.base()))
                        .build());
    }

    /** One ExecProcess stream: what the client sends and, per process id, what the server answered. */
    final class Exec implements StreamObserver<ExecMessage> {
        final StreamObserver<ExecMessage> requests;
        final LinkedBlockingQueue<ExecMessage> received = new LinkedBlockingQueue<>();
        final CompletableFuture<Status> end = new CompletableFuture<>();
        final List<ExecMessage> seen = new ArrayList<>();

        Exec(Build build) {
            requests = LLBBridgeGrpc.newStub(daemon.channel)
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers(build.ref())))
                    .execProcess(this);
        }

        @Override
        public void onNext(ExecMessage message) {
            received.add(message);
        }

        @Override
        public void onError(Throwable t) {
            end.complete(Status.fromThrowable(t));
        }

        @Override
        public void onCompleted() {
            end.complete(Status.OK);
        }

        void init(String pid, String container, List<String> args, boolean tty, Integer... fds) {
            requests.onNext(ExecMessage.newBuilder()
                    .setProcessID(pid)
                    .setInit(InitMessage.newBuilder()
                            .setContainerID(container)
                            .setMeta(Meta.newBuilder().addAllArgs(args).setCwd("/"))
                            .addAllFds(List.of(fds))
                            .setTty(tty))
                    .build());
        }

        void stdin(String pid, String data, boolean eof) {
            requests.onNext(ExecMessage.newBuilder()
                    .setProcessID(pid)
                    .setFile(FdMessage.newBuilder()
                            .setFd(0)
                            .setData(ByteString.copyFromUtf8(data))
                            .setEOF(eof))
                    .build());
        }

        void signal(String pid, String name) {
            requests.onNext(ExecMessage.newBuilder()
                    .setProcessID(pid)
                    .setSignal(SignalMessage.newBuilder().setName(name))
                    .build());
        }

        void resize(String pid, int rows, int cols) {
            requests.onNext(ExecMessage.newBuilder()
                    .setProcessID(pid)
                    .setResize(ResizeMessage.newBuilder().setRows(rows).setCols(cols))
                    .build());
        }

        /** Waits for the first message of {@code pid} that {@code wanted} accepts, keeping all it sees. */
        ExecMessage await(String pid, Predicate<ExecMessage> wanted) throws InterruptedException {
            synchronized (seen) {
                for (ExecMessage message : seen) {
                    if (message.getProcessID().equals(pid) && wanted.test(message)) {
                        return message;
                    }
                }
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (true) {
                ExecMessage message = received.poll(100, TimeUnit.MILLISECONDS);
                if (message != null) {
                    synchronized (seen) {
                        seen.add(message);
                    }
                    if (message.getProcessID().equals(pid) && wanted.test(message)) {
                        return message;
                    }
                }
                if (System.nanoTime() > deadline || (message == null && end.isDone())) {
                    throw new AssertionError("no such message for " + pid + "; seen " + kinds(pid) + ", stream "
                            + (end.isDone() ? end.join() : "open"));
                }
            }
        }

        ExitMessage exit(String pid) throws InterruptedException {
            return await(pid, ExecMessage::hasExit).getExit();
        }

        void done(String pid) throws InterruptedException {
            await(pid, ExecMessage::hasDone);
        }

        /** What {@code pid} wrote to {@code fd} so far. */
        String output(String pid, int fd) {
            drain();
            StringBuilder text = new StringBuilder();
            synchronized (seen) {
                for (ExecMessage message : seen) {
                    if (message.getProcessID().equals(pid)
                            && message.hasFile()
                            && message.getFile().getFd() == fd) {
                        text.append(message.getFile().getData().toString(StandardCharsets.UTF_8));
                    }
                }
            }
            return text.toString();
        }

        /** The kinds of {@code pid}'s messages in order: Started, File1, File1-EOF, Exit, Done ... */
        List<String> kinds(String pid) {
            drain();
            List<String> kinds = new ArrayList<>();
            synchronized (seen) {
                for (ExecMessage message : seen) {
                    if (!message.getProcessID().equals(pid)) {
                        continue;
                    }
                    String kind = switch (message.getInputCase()) {
                        case FILE ->
                            "File" + message.getFile().getFd()
                                    + (message.getFile().getEOF() ? "-EOF" : "");
                        default ->
                            message.getInputCase().name().charAt(0)
                                    + message.getInputCase().name().substring(1).toLowerCase();
                    };
                    if (kinds.isEmpty() || !kinds.getLast().equals(kind) || !kind.matches("File\\d")) {
                        kinds.add(kind);
                    }
                }
            }
            return kinds;
        }

        private void drain() {
            synchronized (seen) {
                received.drainTo(seen);
            }
        }

        Status awaitEnd() throws Exception {
            return end.get(60, TimeUnit.SECONDS);
        }

        /** Checks how the whole stream ended: the status code and its description. */
        void assertEndedWith(Status.Code code, String description) throws Exception {
            Status status = awaitEnd();
            assertThat(status.getCode()).isEqualTo(code);
            assertThat(status.getDescription()).isEqualTo(description);
        }
    }

    private static List<String> sh(String script) {
        return List.of("sh", "-c", script);
    }

    /** The containers the daemon's runtime knows, running or stopped (runc list over its state root). */
    private List<String> runtimeContainers() throws Exception {
        List<String> ids = new ArrayList<>();
        try (Stream<Path> roots = Files.walk(daemon.state, 4)) {
            for (Path root : roots.filter(p -> p.getFileName().toString().equals("runc-state"))
                    .toList()) {
                Process list = new ProcessBuilder("runc", "--root", root.toString(), "list", "-q")
                        .redirectErrorStream(true)
                        .start();
                String output = new String(list.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(list.waitFor()).as(output).isZero();
                output.lines().filter(line -> !line.isBlank()).forEach(ids::add);
                try (Stream<Path> entries = Files.list(root)) {
                    entries.filter(Files::isDirectory).forEach(dir -> ids.add("state dir " + dir.getFileName()));
                }
            }
        }
        return ids;
    }

    private List<Path> bundles() throws IOException {
        try (Stream<Path> dirs = Files.walk(daemon.state, 4)) {
            List<Path> bundles = dirs.filter(p -> p.getFileName().toString().equals("bundles"))
                    .toList();
            List<Path> found = new ArrayList<>();
            for (Path dir : bundles) {
                try (Stream<Path> entries = Files.list(dir)) {
                    entries.forEach(found::add);
                }
            }
            return found;
        }
    }

    /**
     * Creates container c1 in {@code build} and starts its first process, "init", a sleep that must outlive the
     * test's other processes (it is the container's init, as BuildKit runs it), on an exec stream it returns.
     */
    private Exec containerWithInit(Build build) throws Exception {
        newContainer(build, "c1");
        Exec exec = new Exec(build);
        exec.init("init", "c1", List.of("sleep", "1000"), false);
        return exec;
    }

    /** As {@link #containerWithInit}, once the daemon says "init" has started. */
    private Exec containerWithStartedInit(Build build) throws Exception {
        Exec exec = containerWithInit(build);
        exec.await("init", ExecMessage::hasStarted);
        return exec;
    }

    @Test
    void pingAnnouncesContainers() throws Exception {
        Build build = build("ping");
        List<APICap> caps =
                bridge(build.ref()).ping(PingRequest.getDefaultInstance()).getFrontendAPICapsList();
        assertThat(caps)
                .filteredOn(APICap::getEnabled)
                .extracting(APICap::getID)
                .contains("gateway.exec", "gateway.exec.extrahosts", "gateway.exec.signals");
        assertThat(caps)
                .filteredOn(cap -> cap.getID().equals("gateway.exec.secretenv"))
                .singleElement()
                .satisfies(cap -> assertThat(cap.getEnabled()).isFalse());
        finish(build);
    }

    @Test
    void twoProcessesOfAContainerShareItsPidAndNetworkNamespaces() throws Exception {
        Build build = build("pidns");
        Exec exec = containerWithStartedInit(build);
        exec.init(
                "ps",
                "c1",
                sh("cat /proc/1/comm; ps -o comm | grep -c sleep;"
                        + " [ $(readlink /proc/1/ns/net) = $(readlink /proc/self/ns/net) ] && echo same-network"),
                false,
                1,
                2);
        assertThat(exec.exit("ps").getCode()).as(exec.output("ps", 2)).isZero();
        exec.done("ps");
        assertThat(exec.output("ps", 1)).isEqualTo("sleep\n1\nsame-network\n");
        // BuildKit's order: Started, the output, Exit, end-of-file on each output fd, Done
        assertThat(exec.kinds("ps")).containsExactly("Started", "File1", "Exit", "File1-EOF", "File2-EOF", "Done");
        assertThat(exec.kinds("init")).containsExactly("Started");
        finish(build);
    }

    @Test
    void stdinReachesTheProcessAndDoneWaitsForTheClientsEndOfInput() throws Exception {
        Build build = build("stdin");
        Exec exec = containerWithInit(build);
        exec.init("cat", "c1", List.of("cat"), false, 0, 1, 2);
        exec.await("cat", ExecMessage::hasStarted);
        exec.stdin("cat", "hello ", false);
        exec.stdin("cat", "world\n", true);
        assertThat(exec.exit("cat").getCode()).isZero();
        exec.done("cat");
        assertThat(exec.output("cat", 1)).isEqualTo("hello world\n");

        // a process that never reads: Exit and the ends of its output come, Done only after the client's EOF
        exec.init("echo", "c1", List.of("echo", "hi"), false, 0, 1);
        assertThat(exec.exit("echo").getCode()).isZero();
        exec.await("echo", m -> m.hasFile() && m.getFile().getEOF());
        Thread.sleep(500);
        assertThat(exec.kinds("echo")).containsExactly("Started", "File1", "Exit", "File1-EOF");
        exec.stdin("echo", "", true);
        exec.done("echo");
        assertThat(exec.output("echo", 1)).isEqualTo("hi\n");
        finish(build);
    }

    @Test
    void exitCodesArriveInExitWithBuildKitsErrorStatus() throws Exception {
        Build build = build("exit");
        newContainer(build, "c1");
        Exec exec = new Exec(build);
        exec.init("three", "c1", sh("echo failing >&2; exit 3"), false, 1, 2);
        ExitMessage exit = exec.exit("three");
        assertThat(exit.getCode()).isEqualTo(3);
        assertThat(exit.getError().getCode()).isEqualTo(Status.Code.UNKNOWN.value());
        assertThat(exit.getError().getMessage()).isEqualTo("exit code: 3");
        assertThat(exit.getError().getDetailsList()).singleElement().satisfies(detail -> {
            assertThat(detail.getTypeUrl()).isEqualTo("github.com/moby/buildkit/gatewayapi.ExitMessage+json");
            assertThat(detail.getValue().toStringUtf8()).isEqualTo("{\"Code\":3}");
        });
        exec.done("three");
        assertThat(exec.output("three", 2)).isEqualTo("failing\n");

        // the init ended, and with it the container: a later process cannot start, and says why
        exec.init("late", "c1", List.of("true"), false, 1, 2);
        ExitMessage late = exec.exit("late");
        assertThat(late.getCode()).isEqualTo(ExecProcessStream.UNKNOWN_EXIT_STATUS);
        assertThat(late.getError().getMessage()).contains("the container has stopped");
        finish(build);
    }

    @Test
    void aTtyProcessResizesItsTerminal() throws Exception {
        Build build = build("tty");
        Exec exec = containerWithInit(build);
        exec.init("shell", "c1", sh("echo $TERM; stty size; while read line; do stty size; done"), true, 0, 1, 2);
        exec.await(
                "shell",
                m -> m.hasFile() && m.getFile().getData().toStringUtf8().contains("24 80"));
        exec.resize("shell", 40, 120);
        for (int i = 0; i < 100 && !exec.output("shell", 1).contains("40 120"); i++) {
            exec.stdin("shell", "\n", false);
            Thread.sleep(50);
        }
        assertThat(exec.output("shell", 1)).startsWith("xterm\r\n24 80\r\n").contains("40 120\r\n");
        // Ctrl-D ends the terminal's input; the client's end of input only ends the stream of it, as in BuildKit
        exec.stdin("shell", "\u0004", false);
        assertThat(exec.exit("shell").getCode()).isZero();
        exec.stdin("shell", "", true);
        exec.done("shell");
        assertThat(exec.kinds("shell")).endsWith("Exit", "File1-EOF", "File2-EOF", "Done");
        finish(build);
    }

    @Test
    void signalsReachTheirProcess() throws Exception {
        Build build = build("signal");
        Exec exec = containerWithInit(build);
        exec.init("trap", "c1", sh("trap 'exit 42' TERM; echo ready; while true; do sleep 0.1; done"), false, 1);
        exec.init("sleeper", "c1", List.of("sleep", "1000"), false);
        exec.await(
                "trap", m -> m.hasFile() && m.getFile().getData().toStringUtf8().contains("ready"));
        exec.signal("trap", "TERM");
        assertThat(exec.exit("trap").getCode()).isEqualTo(42);
        exec.await("sleeper", ExecMessage::hasStarted);
        exec.signal("sleeper", "KILL");
        assertThat(exec.exit("sleeper").getCode()).isEqualTo(137);
        exec.signal("init", "KILL");
        assertThat(exec.exit("init").getCode()).isEqualTo(137);

        exec.signal("init", "NOSUCH");
        exec.assertEndedWith(Status.Code.INVALID_ARGUMENT, "Unknown signal NOSUCH");
        finish(build);
    }

    @Test
    void releaseKillsEverythingAndLeavesNoContainerMountOrBundle() throws Exception {
        Build build = build("release");
        List<String> mountsBefore = Mounts.mountPointsUnder(daemon.state).stream()
                .map(Path::toString)
                .toList();
        Exec exec = containerWithInit(build);
        exec.init("other", "c1", sh("echo up; exec sleep 1000"), false, 1);
        exec.await("other", m -> m.hasFile() && !m.getFile().getEOF());
        assertThat(runtimeContainers()).isNotEmpty();
        assertThat(Mounts.mountPointsUnder(daemon.state)).hasSizeGreaterThan(mountsBefore.size());

        bridge(build.ref())
                .releaseContainer(ReleaseContainerRequest.newBuilder()
                        .setContainerID("c1")
                        .build());

        assertThat(exec.exit("init").getCode()).isEqualTo(137);
        ExitMessage killed = exec.exit("other");
        assertThat(killed.getCode()).isEqualTo(137);
        // as BuildKit reports a process its container's release killed
        assertThat(killed.getError().getCode()).isEqualTo(Status.Code.CANCELLED.value());
        assertThat(killed.getError().getMessage()).isEqualTo("exit code: 137: context canceled");
        assertThat(runtimeContainers()).isEmpty();
        assertThat(bundles()).isEmpty();
        assertThat(Mounts.mountPointsUnder(daemon.state).stream().map(Path::toString))
                .containsExactlyInAnyOrderElementsOf(mountsBefore);
        assertThatThrownBy(() -> bridge(build.ref())
                        .releaseContainer(ReleaseContainerRequest.newBuilder()
                                .setContainerID("c1")
                                .build()))
                .isInstanceOf(StatusRuntimeException.class)
                .hasMessageContaining("container details for c1 not found");
        exec.init("after", "c1", List.of("true"), false);
        exec.assertEndedWith(Status.Code.NOT_FOUND, "container \"c1\" previously released or not created");
        finish(build);
    }

    @Test
    void containersAreReleasedWhenTheBuildEndsAndWhenItsClientGoes() throws Exception {
        Build returned = build("end");
        Exec exec = containerWithStartedInit(returned);
        finish(returned);
        assertThat(exec.exit("init").getCode()).isEqualTo(137);
        assertThat(runtimeContainers()).isEmpty();

        String ref = "gone-" + System.nanoTime();
        io.grpc.Context.CancellableContext call = io.grpc.Context.current().withCancellation();
        CompletableFuture<Void> solve = CompletableFuture.runAsync(() -> call.run(() ->
                daemon.control().solve(SolveRequest.newBuilder().setRef(ref).build())));
        String base = bridge(ref)
                .solve(dev.kiln.api.gateway.SolveRequest.newBuilder()
                        .setDefinition(State.image(busybox.toString()).marshal())
                        .setAllowResultReturn(true)
                        .setAllowResultArrayRef(true)
                        .build())
                .getResult()
                .getRef()
                .getId();
        Build gone = new Build(ref, null, base);
        Exec goneExec = containerWithStartedInit(gone);
        call.cancel(null);
        assertThatThrownBy(() -> solve.get(60, TimeUnit.SECONDS)).hasMessageContaining("CANCELLED");
        assertThat(goneExec.exit("init").getCode()).isEqualTo(137);
        assertThat(runtimeContainers()).isEmpty();
        assertThat(bundles()).isEmpty();
    }

    @Test
    void misnamedIdsAnswerAsBuildKitDoes() throws Exception {
        Build build = build("ids");
        assertThatThrownBy(() -> bridge(build.ref())
                        .newContainer(NewContainerRequest.newBuilder()
                                .setContainerID("c0")
                                .addMounts(Mount.newBuilder().setDest("/").setResultID("nosuchref"))
                                .build()))
                .isInstanceOfSatisfying(
                        StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND))
                .hasMessageContaining("failed to find ref nosuchref for \"/\" mount")
                .hasMessageContaining("no such ref nosuchref");

        newContainer(build, "c1");
        assertThatThrownBy(() -> newContainer(build, "c1"))
                .isInstanceOfSatisfying(
                        StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.ALREADY_EXISTS))
                .hasMessageContaining("Container c1 already exists");

        Exec twice = new Exec(build);
        twice.init("p", "c1", List.of("true"), false);
        twice.exit("p");
        twice.init("p", "c1", List.of("true"), false);
        twice.assertEndedWith(Status.Code.ALREADY_EXISTS, "Process p already exists");

        Exec unknown = new Exec(build);
        unknown.stdin("nobody", "x", false);
        unknown.assertEndedWith(Status.Code.NOT_FOUND, "IO for process \"nobody\" not found");

        Exec noContainer = new Exec(build);
        noContainer.init("p", "nosuch", List.of("true"), false);
        noContainer.assertEndedWith(Status.Code.NOT_FOUND, "container \"nosuch\" previously released or not created");

        Exec noId = new Exec(build);
        noId.init("", "c1", List.of("true"), false);
        noId.assertEndedWith(Status.Code.INVALID_ARGUMENT, "ProcessID required");
        finish(build);
    }
}
