package dev.kiln.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.gateway.Client;
import dev.kiln.gateway.Container;
import dev.kiln.gateway.ContainerProcess;
import dev.kiln.gateway.ExitException;
import dev.kiln.gateway.GatewayException;
import dev.kiln.gateway.Mount;
import dev.kiln.gateway.NewContainerRequest;
import dev.kiln.gateway.Reference;
import dev.kiln.gateway.Result;
import dev.kiln.gateway.SolveError;
import dev.kiln.gateway.SolveRequest;
import dev.kiln.gateway.StartRequest;
import dev.kiln.llb.pb.MountType;
import dev.kiln.llb.pb.SecurityMode;
import dev.kiln.worker.sys.Mounts;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Client.newContainer: processes in containers made from solved references, as a frontend or debugger uses them. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GatewayContainerTest {

    @RegisterExtension
    static final EngineFixture kiln = new EngineFixture();

    /** Runs {@code body} as a frontend with the busybox base solved as a reference. */
    private void withBase(ContainerBody body) throws Exception {
        kiln.engine.build(
                new BuildRequest(
                        new FrontendSpec.Function("test", client -> {
                            Reference base = client.solve(
                                            SolveRequest.of(EngineFixture.base().marshal())
                                                    .withEvaluate(true))
                                    .ref()
                                    .orElseThrow();
                            body.run(client, base);
                            return Result.empty();
                        }),
                        Map.of(),
                        kiln.locals,
                        List.of()),
                kiln.events::add);
    }

    /** Runs {@code body} in a container whose root is (a writable copy of) the busybox base, closed after it. */
    private void inContainerOnBase(ContainerUse body) throws Exception {
        withBase((client, base) -> {
            try (Container container =
                    client.newContainer(NewContainerRequest.of(List.of(Mount.bind("/", base, false))))) {
                body.run(container);
            }
        });
    }

    @FunctionalInterface
    interface ContainerUse {
        void run(Container container) throws Exception;
    }

    @FunctionalInterface
    interface ContainerBody {
        void run(Client client, Reference base) throws Exception;
    }

    private static StartRequest process(List<String> args, List<String> env, byte[] stdin, ByteArrayOutputStream out) {
        return new StartRequest(
                args,
                env,
                "",
                "/",
                false,
                stdin == null ? null : new ByteArrayInputStream(stdin),
                out,
                out,
                SecurityMode.SANDBOX);
    }

    @Test
    void aFailedRunStepsSolveErrorOpensAContainerOnTheFilesItsProcessLeft() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        withBase((client, base) -> {
            dev.kiln.llb.State failing = EngineFixture.base()
                    .run(dev.kiln.llb.RunOption.sh("echo left behind > /marker; exit 7"))
                    .root();
            SolveError error = null;
            try {
                client.solve(SolveRequest.of(failing.marshal()).withEvaluate(true));
            } catch (SolveError e) {
                error = e;
            }
            assertThat(error).as("a failed RUN step's solve error").isNotNull();
            assertThat(error.getMessage()).contains("exit code: 7");
            assertThat(error.exec()).isPresent();
            assertThat(error.exec().get().getMeta().getArgsList())
                    .last()
                    .asString()
                    .contains("exit 7");
            assertThat(error.mounts()).hasSize(error.exec().get().getMountsCount());
            Reference root = error.mounts().getFirst();
            assertThat(new String(
                            root.readFile(new dev.kiln.gateway.ReadRequest("/marker", null)), StandardCharsets.UTF_8))
                    .isEqualTo("left behind\n");
            try (Container container =
                    client.newContainer(NewContainerRequest.of(List.of(Mount.bind("/", root, false))))) {
                container
                        .start(process(List.of("cat", "/marker"), List.of(), null, out))
                        .waitFor();
            }
            assertThatThrownBy(root::toState).hasMessageContaining("no definition to build on");
        });
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("left behind\n");
    }

    @Test
    void processGetsArgsEnvAndStdinAndItsOutputComesBack() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        inContainerOnBase(container -> {
            ContainerProcess process = container.start(process(
                    List.of("sh", "-c", "echo \"$GREETING\"; cat"),
                    List.of("GREETING=hello"),
                    "from stdin\n".getBytes(StandardCharsets.UTF_8),
                    out));
            process.waitFor();
        });
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("hello\nfrom stdin\n");
    }

    /** A process that answers what it reads (as a frontend's gRPC connection does) gets each input as it comes. */
    @Test
    void pipedInputReachesTheProcessBeforeTheInputEnds() throws Exception {
        SyncedOutput out = new SyncedOutput();
        inContainerOnBase(container -> {
            java.io.PipedOutputStream input = new java.io.PipedOutputStream();
            ContainerProcess process = container.start(new StartRequest(
                    List.of("sh", "-c", "read line; echo \"got $line\"; cat > /dev/null"),
                    List.of(),
                    "",
                    "/",
                    false,
                    new java.io.PipedInputStream(input),
                    out,
                    out,
                    SecurityMode.SANDBOX));
            type(input, "ping\n");
            out.await("got ping");
            input.close();
            process.waitFor();
        });
    }

    @Test
    void nonZeroExitIsAnExitExceptionCarryingTheCode() throws Exception {
        inContainerOnBase(container -> {
            ContainerProcess process = container.start(process(List.of("sh", "-c", "exit 3"), List.of(), null, null));
            assertThatThrownBy(process::waitFor)
                    .isInstanceOfSatisfying(
                            ExitException.class, e -> assertThat(e.exitCode()).isEqualTo(3));
        });
    }

    @Test
    void processesOfOneContainerShareItsFilesystemAndExtraMounts() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        withBase((client, base) -> {
            Mount tmpfs = new Mount("", "/scratch", "", null, false, MountType.TMPFS, null, null, null);
            try (Container container = client.newContainer(
                    NewContainerRequest.of(List.of(Mount.bind("/", base, false), Mount.bind("/base", base, true))))) {
                container.start(process(List.of("sleep", "1000"), List.of(), null, null));
                container
                        .start(process(List.of("sh", "-c", "echo shared > /note"), List.of(), null, null))
                        .waitFor();
                container
                        .start(process(
                                List.of("sh", "-c", "cat /note; test -x /base/bin/busybox && echo mounted"),
                                List.of(),
                                null,
                                out))
                        .waitFor();
                assertThatThrownBy(() -> container
                                .start(process(List.of("sh", "-c", "touch /base/x"), List.of(), null, null))
                                .waitFor())
                        .isInstanceOf(ExitException.class);
            }
            try (Container container =
                    client.newContainer(NewContainerRequest.of(List.of(Mount.bind("/", base, true), tmpfs)))) {
                container
                        .start(process(
                                List.of("sh", "-c", "echo ok > /scratch/f && cat /scratch/f"), List.of(), null, out))
                        .waitFor();
            }
        });
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("shared\nmounted\nok\n");
    }

    @Test
    void processesOfOneContainerShareItsPidAndNetworkNamespaces() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        inContainerOnBase(container -> {
            container.start(process(List.of("sleep", "1000"), List.of(), null, null));
            container
                    .start(process(
                            List.of(
                                    "sh",
                                    "-c",
                                    "cat /proc/1/comm; ps -o comm | grep -c sleep;"
                                            + " [ $(readlink /proc/1/ns/net) = $(readlink /proc/self/ns/net) ]"
                                            + " && echo same-network"),
                            List.of(),
                            null,
                            out))
                    .waitFor();
        });
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("sleep\n1\nsame-network\n");
    }

    @Test
    void whenTheFirstProcessEndsTheContainerStopsWithEveryProcessInIt() throws Exception {
        inContainerOnBase(container -> {
            ContainerProcess init = container.start(
                    process(List.of("sh", "-c", "while [ ! -e /stop ]; do sleep 0.05; done"), List.of(), null, null));
            ByteArrayOutputStream ready = new ByteArrayOutputStream();
            ContainerProcess other =
                    container.start(process(List.of("sh", "-c", "echo up; exec sleep 1000"), List.of(), null, ready));
            while (!ready.toString(StandardCharsets.UTF_8).contains("up")) {
                Thread.sleep(20);
            }
            container
                    .start(process(List.of("touch", "/stop"), List.of(), null, null))
                    .waitFor();
            init.waitFor();
            assertThatThrownBy(other::waitFor)
                    .isInstanceOfSatisfying(
                            ExitException.class, e -> assertThat(e.exitCode()).isEqualTo(137));
            assertThatThrownBy(() -> container.start(process(List.of("true"), List.of(), null, null)))
                    .isInstanceOf(GatewayException.class)
                    .hasMessageContaining("the container has stopped: its first process (sh -c while");
        });
    }

    @Test
    void aWritableBindMountIsACopyOfItsReference() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        withBase((client, base) -> {
            try (Container container = client.newContainer(
                    NewContainerRequest.of(List.of(Mount.bind("/", base, false), Mount.bind("/data", base, false))))) {
                container
                        .start(process(
                                List.of("sh", "-c", "echo changed > /data/etc/passwd && cat /data/etc/passwd"),
                                List.of(),
                                null,
                                out))
                        .waitFor();
            }
            assertThat(new String(
                            base.readFile(dev.kiln.gateway.ReadRequest.of("/etc/passwd")), StandardCharsets.UTF_8))
                    .as("the reference itself never changes")
                    .startsWith("root:");
        });
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("changed\n");
    }

    @Test
    void signalReachesTheProcessAndReleaseStopsWhatStillRuns() throws Exception {
        withBase((client, base) -> {
            Container container = client.newContainer(NewContainerRequest.of(List.of(Mount.bind("/", base, false))));
            // The process is the container's PID 1, which only reacts to signals it handles.
            ByteArrayOutputStream ready = new ByteArrayOutputStream();
            ContainerProcess trapper = container.start(process(
                    List.of("sh", "-c", "trap 'exit 42' TERM; echo ready; while true; do sleep 0.1; done"),
                    List.of(),
                    null,
                    ready));
            ContainerProcess other = container.start(process(List.of("sleep", "100"), List.of(), null, null));
            while (!ready.toString(StandardCharsets.UTF_8).contains("ready")) {
                Thread.sleep(20);
            }
            trapper.signal(15);
            assertThatThrownBy(trapper::waitFor)
                    .isInstanceOfSatisfying(
                            ExitException.class, e -> assertThat(e.exitCode()).isEqualTo(42));
            container.release();
            assertThatThrownBy(other::waitFor).isInstanceOf(ExitException.class);
        });
        assertThat(Mounts.mountPointsUnder(kiln.dir.resolve("state"))).isEmpty();
    }

    @Test
    void ttyProcessSeesItsTerminalSizeAndResizesAndCtrlCInterruptsAForegroundCommand() throws Exception {
        SyncedOutput screen = new SyncedOutput();
        java.io.PipedOutputStream keyboard = new java.io.PipedOutputStream();
        java.io.PipedInputStream input = new java.io.PipedInputStream(keyboard);
        inContainerOnBase(container -> {
            ContainerProcess shell = container.start(new StartRequest(
                    List.of("sh", "-i"), List.of("PS1=$ "), "", "/", true, input, screen, null, SecurityMode.SANDBOX));
            type(keyboard, "stty size\n");
            screen.await("24 80");
            shell.resize(new dev.kiln.gateway.WinSize(40, 120));
            // the runtime passes the new size on when its SIGWINCH handler runs, which a command typed at once can
            // beat: ask again until the shell sees it, for as long as await would wait
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
            do {
                type(keyboard, "stty size\n");
            } while (!screen.shows("40 120", 500) && System.nanoTime() < deadline);
            screen.await("40 120");
            type(keyboard, "sleep 100; echo sleep-ended\n");
            Thread.sleep(300);
            type(keyboard, "\u0003");
            type(keyboard, "echo after-interrupt\n");
            screen.await("after-interrupt\r\n");
            type(keyboard, "exit 5\n");
            assertThatThrownBy(shell::waitFor)
                    .isInstanceOfSatisfying(
                            ExitException.class, e -> assertThat(e.exitCode()).isEqualTo(5));
        });
        assertThat(screen.text())
                .as("the interrupted sleep never let the echo after it run")
                .doesNotContainPattern("(?m)^sleep-ended\\r?$");
    }

    private static void type(java.io.OutputStream keyboard, String keys) throws java.io.IOException {
        keyboard.write(keys.getBytes(StandardCharsets.UTF_8));
        keyboard.flush();
    }

    /** What a terminal shows, waited on from the test thread. */
    static final class SyncedOutput extends java.io.OutputStream {
        private final StringBuilder text = new StringBuilder();

        @Override
        public synchronized void write(int b) {
            text.append((char) b);
            notifyAll();
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            text.append(new String(b, off, len, StandardCharsets.UTF_8));
            notifyAll();
        }

        synchronized String text() {
            return text.toString();
        }

        /** Whether the terminal shows {@code expected} within {@code millis}. */
        synchronized boolean shows(String expected, long millis) throws InterruptedException {
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(millis);
            while (text.indexOf(expected) < 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                wait(java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(left) + 1);
            }
            return true;
        }

        synchronized void await(String expected) throws InterruptedException {
            if (!shows(expected, java.util.concurrent.TimeUnit.SECONDS.toMillis(20))) {
                throw new AssertionError("terminal never showed \"" + expected + "\"; it shows:\n" + text);
            }
        }
    }

    @Test
    void containersAFrontendForgetsAreReleasedWhenTheBuildEnds() throws Exception {
        withBase((client, base) -> {
            Container forgotten = client.newContainer(NewContainerRequest.of(List.of(Mount.bind("/", base, false))));
            forgotten.start(process(List.of("sleep", "100"), List.of(), null, null));
        });
        assertThat(Mounts.mountPointsUnder(kiln.dir.resolve("state"))).isEmpty();
    }
}
