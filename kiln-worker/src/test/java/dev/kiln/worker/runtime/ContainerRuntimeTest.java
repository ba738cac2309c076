package dev.kiln.worker.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.core.Platform;
import dev.kiln.worker.BusyboxRootfs;
import dev.kiln.worker.snapshot.ActiveSnapshot;
import dev.kiln.worker.snapshot.Mounted;
import dev.kiln.worker.snapshot.Snapshot;
import dev.kiln.worker.snapshot.Snapshotter;
import dev.kiln.worker.sys.Mounts;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Real containers: runc (and crun where noted) on an overlay rootfs made from busybox-static. */
class ContainerRuntimeTest {
    @TempDir
    static Path state;

    static Snapshotter snapshotter;
    static Snapshot busybox;
    static ContainerRuntime runtime;

    ActiveSnapshot active;
    final Output stdout = new Output();
    final Output stderr = new Output();

    /** Collects a stream's output the way a progress display would receive it. */
    static final class Output implements OutputSink {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        @Override
        public synchronized void write(byte[] data, int offset, int length) {
            bytes.write(data, offset, length);
        }

        synchronized String text() {
            return bytes.toString(StandardCharsets.UTF_8);
        }
    }

    @BeforeAll
    static void busyboxSnapshot() throws IOException {
        snapshotter = Snapshotter.open(state.resolve("snapshots"));
        busybox = BusyboxRootfs.commit(snapshotter);
        runtime = ContainerRuntime.detect(state.resolve("runtime"));
    }

    @AfterAll
    static void closeSnapshots() throws IOException {
        snapshotter.close();
        assertThat(Mounts.mountPointsUnder(state)).isEmpty();
    }

    @BeforeEach
    void prepareRootfs() throws IOException {
        active = snapshotter.prepare(busybox);
    }

    @AfterEach
    void discardRootfs() throws IOException {
        active.close();
        assertThat(runningContainers()).isEmpty();
    }

    ExitStatus run(ProcessSpec spec) throws Exception {
        return runtime.run(active.mount(), spec, stdout, stderr);
    }

    static ProcessSpec shell(String script) {
        return ProcessSpec.of("sh", "-c", script);
    }

    List<String> runningContainers() throws IOException {
        try (Stream<Path> bundles = Files.list(state.resolve("runtime/bundles"))) {
            return bundles.map(p -> p.getFileName().toString()).toList();
        }
    }

    @Test
    void detectPrefersRunc() {
        assertThat(runtime.name()).isEqualTo("runc");
    }

    @Test
    void runWritesIntoTheNewLayerAndStreamsOutput() throws Exception {
        ExitStatus status = run(shell("echo hi > /out; id"));
        Snapshot result = active.commit();

        assertThat(status).isEqualTo(new ExitStatus(0));
        assertThat(stdout.text()).isEqualTo("uid=0(root) gid=0(root) groups=0(root)\n");
        assertThat(stderr.text()).isEmpty();
        Path layer = snapshotter.layerPath(result.layers().getLast());
        assertThat(layer.resolve("out")).hasContent("hi");
        assertThat(layer.resolve("etc/hosts")).as("mount stub cleaned away").doesNotExist();
    }

    @Test
    void aTerminalProcessSeesItsSizeFromItsFirstInstruction() throws Exception {
        // stty runs at once: the size must be the terminal's before the process starts, not set a moment later
        for (int round = 0; round < 5; round++) {
            try (TerminalContainer container = runtime.startOnTerminal(
                    active.mount(), ProcessSpec.of("stty", "size"), new dev.kiln.worker.sys.Pty.WindowSize(33, 91))) {
                java.io.ByteArrayOutputStream screen = new java.io.ByteArrayOutputStream();
                byte[] buffer = new byte[4096];
                for (int read; (read = container.terminal().read(buffer, 0, buffer.length)) > 0; ) {
                    screen.write(buffer, 0, read);
                }
                assertThat(container.container().waitFor().code()).isZero();
                assertThat(screen.toString(java.nio.charset.StandardCharsets.UTF_8))
                        .isEqualTo("33 91\r\n");
            }
        }
        // the runtime sets that size itself, before the process runs, because the spec says it
        Path bundle = Files.createDirectories(state.resolve("terminal-bundle"));
        BundleWriter.write(
                bundle,
                active.mount(),
                ProcessSpec.of("stty", "size"),
                dev.kiln.worker.user.UserDatabase.of(active.mount()).resolveUser(""),
                new dev.kiln.worker.sys.Pty.WindowSize(33, 91));
        assertThat(Files.readString(bundle.resolve("config.json")))
                .contains("\"terminal\":true,\"consoleSize\":{\"height\":33,\"width\":91}");
    }

    @Test
    void nonZeroExitIsReturnedWithItsOutput() throws Exception {
        ExitStatus status = run(shell("echo partial; echo 'went wrong' >&2; exit 3"));

        assertThat(status.code()).isEqualTo(3);
        assertThat(status.success()).isFalse();
        assertThat(stdout.text()).isEqualTo("partial\n");
        assertThat(stderr.text()).isEqualTo("went wrong\n");
    }

    @Test
    void missingCommandFailsWithTheRuntimesMessage() throws Exception {
        ExitStatus status = run(ProcessSpec.of("no-such-command"));

        assertThat(status.success()).isFalse();
        assertThat(stderr.text()).contains("no-such-command");
    }

    @Test
    void userByNameGetsItsGroupsFromTheRootfs() throws Exception {
        run(ProcessSpec.of("id").withUser("user"));

        assertThat(stdout.text())
                .startsWith("uid=1000(user) gid=1000(user) groups=")
                .contains("50(staff)");
    }

    @Test
    void userByUidAndGid() throws Exception {
        run(ProcessSpec.of("id").withUser("1000:50"));

        assertThat(stdout.text()).startsWith("uid=1000(user) gid=50(staff)");
    }

    @Test
    void rootKeepsGroupZeroBesideTheGroupsThatListIt() throws Exception {
        appendLine("etc/group", "wheel:x:10:root");

        run(ProcessSpec.of("id"));

        assertThat(stdout.text()).isEqualTo("uid=0(root) gid=0(root) groups=0(root),10(wheel)\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"dockerio", "1001", "dockerio:dockerio", "1001:1001"})
    void userInNoGroupStillHasItsPrimaryGroup(String user) throws Exception {
        appendLine("etc/passwd", "dockerio:x:1001:1001::/home/dockerio:/bin/sh");
        appendLine("etc/group", "dockerio:x:1001:");

        run(ProcessSpec.of("id").withUser(user));

        assertThat(stdout.text()).isEqualTo("uid=1001(dockerio) gid=1001(dockerio) groups=1001(dockerio)\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"user:nogroup", "1000:65534", "user:65534"})
    void explicitGroupIsTheOnlyGroup(String user) throws Exception {
        run(ProcessSpec.of("id").withUser(user));

        assertThat(stdout.text()).isEqualTo("uid=1000(user) gid=65534(nogroup) groups=65534(nogroup)\n");
    }

    @Test
    void unknownNumericUserHasGroupZero() throws Exception {
        run(ProcessSpec.of("id").withUser("4242"));

        assertThat(stdout.text()).isEqualTo("uid=4242 gid=0(root) groups=0(root)\n");
    }

    private void appendLine(String file, String line) throws IOException {
        Files.writeString(active.mount().resolve(file), line + "\n", java.nio.file.StandardOpenOption.APPEND);
    }

    @Test
    void unknownUserIsAnErrorNamingIt() {
        assertThatThrownBy(() -> run(ProcessSpec.of("id").withUser("ghost")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown user \"ghost\"");
    }

    @Test
    void missingWorkingDirectoryIsCreatedForTheUser() throws Exception {
        ExitStatus status =
                run(shell("pwd; stat -c %u:%g .").withCwd("/work/dir").withUser("user"));

        assertThat(status.success()).isTrue();
        assertThat(stdout.text()).isEqualTo("/work/dir\n1000:1000\n");
    }

    @Test
    void environmentGetsADefaultPath() throws Exception {
        run(ProcessSpec.of("env").withEnv(List.of("GREETING=hello world")));

        assertThat(stdout.text().lines()).contains("PATH=" + Platform.DEFAULT_UNIX_PATH, "GREETING=hello world");
    }

    @Test
    void homeComesFromTheRootfsPasswd() throws Exception {
        run(ProcessSpec.of("sh", "-c", "echo $HOME").withUser("user"));

        assertThat(stdout.text()).isEqualTo("/home/user\n");
    }

    @Test
    void twoContainersRunAtTheSameTime(@TempDir Path shared) throws Exception {
        // each one finishes only after seeing the other's mark, so they can only both succeed side by side
        String wait =
                "echo > /shared/%s; i=0; while [ ! -e /shared/%s ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done;"
                        + " test -e /shared/%s";
        MountSpec.Bind bind = new MountSpec.Bind(shared, "/shared", false);
        try (ActiveSnapshot second = snapshotter.prepare(busybox)) {
            RunningContainer a = runtime.start(
                    active.mount(), shell(wait.formatted("a", "b", "b")).withMount(bind), OutputSink.DISCARD, stderr);
            RunningContainer b = runtime.start(
                    second.mount(), shell(wait.formatted("b", "a", "a")).withMount(bind), OutputSink.DISCARD, stderr);
            try (a;
                    b) {
                assertThat(a.waitFor().success()).as(stderr.text()).isTrue();
                assertThat(b.waitFor().success()).as(stderr.text()).isTrue();
            }
        }
    }

    @Test
    void bundlesLeftByAKilledProcessAreDeletedOnOpen() throws Exception {
        Path leftover = Files.createDirectories(state.resolve("runtime/bundles/kiln-0123456789abcdef"));
        Files.writeString(leftover.resolve("config.json"), "{}");

        ContainerRuntime.of(runtime.binary(), state.resolve("runtime"));

        assertThat(leftover).doesNotExist();
    }

    @Test
    void closingTheRuntimeDeletesTheContainersStillRunning() throws Exception {
        ContainerRuntime own = ContainerRuntime.of(runtime.binary(), state.resolve("runtime-closed"));
        try (RunningContainer container = own.start(active.mount(), shell("echo up; sleep 300"), stdout, stderr)) {
            awaitOutput("up\n");

            own.close();

            assertThat(container.waitFor().success()).isFalse();
            assertThat(listed(state.resolve("runtime-closed"))).isEmpty();
            assertThatThrownBy(() -> own.start(active.mount(), shell("true"), stdout, stderr))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("runtime is closed");
        }
    }

    @Test
    void aKilledWatchdogIsReplacedAndStillDeletesEveryContainer() throws Exception {
        ContainerRuntime own = ContainerRuntime.of(runtime.binary(), state.resolve("runtime-watchdog"));
        try (ActiveSnapshot other = snapshotter.prepare(busybox);
                RunningContainer first = own.start(active.mount(), shell("echo up; sleep 300"), stdout, stderr)) {
            awaitOutput("up\n");
            ProcessHandle watchdog =
                    ProcessHandle.of(own.watchdogPid().orElseThrow()).orElseThrow();
            watchdog.destroyForcibly();
            watchdog.onExit().get();

            try (RunningContainer second =
                    own.start(other.mount(), shell("sleep 300"), OutputSink.DISCARD, OutputSink.DISCARD)) {
                assertThat(own.watchdogPid()).isPresent().isNotEqualTo(java.util.Optional.of(watchdog.pid()));

                own.close();

                assertThat(first.waitFor().success()).isFalse();
                assertThat(second.waitFor().success()).isFalse();
                assertThat(listed(state.resolve("runtime-watchdog"))).isEmpty();
            }
        }
    }

    private void awaitOutput(String expected) throws InterruptedException {
        for (int i = 0; i < 600 && !stdout.text().equals(expected); i++) {
            Thread.sleep(50);
        }
        assertThat(stdout.text()).as(stderr.text()).isEqualTo(expected);
    }

    /** The ids {@code runc list} shows for the runtime state under {@code stateDir}. */
    private static List<String> listed(Path stateDir) throws Exception {
        Process list = new ProcessBuilder(
                        runtime.binary().toString(),
                        "--root",
                        stateDir.resolve(runtime.name() + "-state").toString(),
                        "list",
                        "-q")
                .redirectErrorStream(true)
                .start();
        String output = new String(list.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(list.waitFor()).as(output).isZero();
        return output.lines().filter(line -> !line.isBlank()).toList();
    }

    @Test
    void readOnlyRootfsRefusesWrites() throws Exception {
        ExitStatus status = run(shell("touch /new-file").withReadOnlyRootfs(true));

        assertThat(status.success()).isFalse();
        assertThat(stderr.text()).contains("Read-only file system");
    }

    @Test
    void networkNoneHasOnlyLoopback() throws Exception {
        run(shell("cat /proc/net/dev").withNetwork(NetworkMode.NONE));

        assertThat(interfaces(stdout.text())).containsExactly("lo");
    }

    @ParameterizedTest
    @EnumSource(NetworkMode.class)
    void resolvConfComesFromTheHostAndIsReadOnlyInEveryNetwork(NetworkMode network) throws Exception {
        ExitStatus status = run(shell("cat /etc/resolv.conf; echo nameserver 1.1.1.1 > /etc/resolv.conf")
                .withNetwork(network));
        Snapshot result = active.commit();

        assertThat(status.success()).isFalse();
        assertThat(stdout.text()).isEqualTo(ResolvConf.forContainer(network));
        assertThat(stderr.text()).contains("Read-only file system");
        assertThat(result.layers())
                .as("nothing of /etc/resolv.conf is left in the layer")
                .isEqualTo(busybox.layers());
    }

    @Test
    void hostNetworkSeesTheHostsInterfaces() throws Exception {
        run(shell("cat /proc/net/dev").withNetwork(NetworkMode.HOST));

        assertThat(interfaces(stdout.text()))
                .containsExactlyInAnyOrderElementsOf(interfaces(Files.readString(Path.of("/proc/net/dev"))));
    }

    private static List<String> interfaces(String procNetDev) {
        return procNetDev
                .lines()
                .filter(line -> line.contains(":"))
                .map(line -> line.split(":")[0].trim())
                .toList();
    }

    @ParameterizedTest
    @EnumSource(NetworkMode.class)
    void hostsFileIsTheContainersOwnWithBuildKitsDefaultName(NetworkMode network) throws Exception {
        run(shell("hostname; cat /etc/hosts").withNetwork(network));

        assertThat(stdout.text()).isEqualTo("""
        buildkitsandbox
        127.0.0.1\tlocalhost buildkitsandbox
        ::1\tlocalhost ip6-localhost ip6-loopback
        """);
    }

    @ParameterizedTest
    @EnumSource(NetworkMode.class)
    void extraHostsFollowLocalhostInEveryNetwork(NetworkMode network) throws Exception {
        run(shell("cat /etc/hosts")
                .withNetwork(network)
                .withHostname("builder")
                .withExtraHosts(List.of(new HostEntry("registry.test", "10.1.2.3"), new HostEntry("db", "::2"))));

        assertThat(stdout.text()).isEqualTo("""
        127.0.0.1\tlocalhost builder
        ::1\tlocalhost ip6-localhost ip6-loopback
        10.1.2.3\tregistry.test
        ::2\tdb
        """);
    }

    @Test
    void hostnameAndExtraHostsAreVisible() throws Exception {
        run(shell("hostname; cat /etc/hosts")
                .withHostname("builder")
                .withExtraHosts(List.of(new HostEntry("registry.test", "10.1.2.3"))));

        assertThat(stdout.text())
                .startsWith("builder\n")
                .contains("10.1.2.3\tregistry.test\n")
                .contains("127.0.0.1\tlocalhost builder\n");
    }

    @Test
    void bindMountOfAnotherSnapshotIsReadOnly() throws Exception {
        Snapshot other;
        try (ActiveSnapshot data = snapshotter.prepare(Snapshot.SCRATCH)) {
            Files.writeString(data.mount().resolve("file"), "shared");
            other = data.commit();
        }
        try (Mounted view = snapshotter.mountReadOnly(other)) {
            ExitStatus status = run(shell("cat /mnt/other/file; touch /mnt/other/new")
                    .withMount(new MountSpec.Bind(view.path(), "/mnt/other", true)));

            assertThat(stdout.text()).isEqualTo("shared");
            assertThat(stderr.text()).contains("Read-only file system");
            assertThat(status.success()).isFalse();
        }
        Snapshot result = active.commit();
        assertThat(result.layers())
                .as("the stub for /mnt/other is removed, nothing else changed")
                .isEqualTo(busybox.layers());
    }

    @Test
    void writableBindMountWritesThrough(@TempDir Path host) throws Exception {
        run(shell("echo from-container > /host/file").withMount(new MountSpec.Bind(host, "/host", false)));

        assertThat(host.resolve("file")).hasContent("from-container");
    }

    @Test
    void tmpfsMountIsFreshAndNotCommitted() throws Exception {
        ExitStatus status = run(shell("echo x > /scratch/file && grep ' /scratch ' /proc/mounts")
                .withMount(new MountSpec.Tmpfs("/scratch", 1024 * 1024)));
        Snapshot result = active.commit();

        assertThat(status.success()).isTrue();
        assertThat(stdout.text()).startsWith("tmpfs /scratch tmpfs").contains("size=1024k");
        assertThat(result.layers()).isEqualTo(busybox.layers());
    }

    @Test
    void defaultShmIsOneTmpfsWithBuildKitsOptions() throws Exception {
        run(shell("grep ' /dev/shm ' /proc/mounts"));

        assertThat(stdout.text().lines())
                .singleElement()
                .asString()
                .startsWith("shm /dev/shm tmpfs rw,nosuid,nodev,noexec,")
                .contains("size=65536k");
    }

    @Test
    void tmpfsAtDevShmReplacesTheDefault() throws Exception {
        run(shell("grep ' /dev/shm ' /proc/mounts; touch /dev/shm/file && echo writable")
                .withMount(new MountSpec.Tmpfs("/dev/shm", 128L * 1024 * 1024)));

        assertThat(stdout.text().lines()).hasSize(2).last().isEqualTo("writable");
        assertThat(stdout.text().lines().findFirst().orElseThrow())
                .startsWith("tmpfs /dev/shm tmpfs ")
                .contains("size=131072k");
    }

    @Test
    void ulimitsApply() throws Exception {
        run(shell("ulimit -Sn; ulimit -Hn").withUlimits(List.of(new Ulimit("nofile", 1000, 2000))));

        assertThat(stdout.text()).isEqualTo("1000\n2000\n");
    }

    @Test
    void sandboxHasDockersCapabilitiesAndASeccompFilter() throws Exception {
        run(shell("grep -E '^(CapEff|Seccomp):' /proc/self/status; echo kcore=$(cat /proc/kcore | wc -c);"
                + " unshare -U true; echo unshare=$?"));

        assertThat(stdout.text()).contains("CapEff:\t00000000a80425fb", "Seccomp:\t2", "kcore=0", "unshare=1");
        assertThat(stderr.text()).contains("Operation not permitted");
    }

    @Test
    void insecureHasEveryCapabilityAndNoFilter() throws Exception {
        ExitStatus status = run(shell("grep -E '^(CapEff|Seccomp):' /proc/self/status; touch /sys/kernel/mm/x 2>&1")
                .withSecurity(SecurityMode.INSECURE));

        assertThat(status.code()).isNotZero(); // sysfs has no such attribute, but the error is not EROFS
        long bounding = Long.parseUnsignedLong(
                Files.readAllLines(Path.of("/proc/self/status")).stream()
                        .filter(line -> line.startsWith("CapBnd:"))
                        .findFirst()
                        .orElseThrow()
                        .substring(7)
                        .trim(),
                16);
        assertThat(stdout.text())
                .contains("Seccomp:\t0")
                .contains("CapEff:\t%016x".formatted(bounding))
                .doesNotContain("Read-only file system");
    }

    @Test
    void interruptingTheCallerKillsTheContainer() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        AtomicReference<Throwable> outcome = new AtomicReference<>();
        OutputSink watch = (data, offset, length) -> {
            if (new String(data, offset, length, StandardCharsets.UTF_8).contains("started")) {
                started.countDown();
            }
        };

        Thread caller = Thread.ofVirtual().start(() -> {
            try {
                runtime.run(active.mount(), shell("echo started; sleep 100"), watch, stderr);
                outcome.set(new AssertionError("run returned normally"));
            } catch (Throwable e) {
                outcome.set(e);
            }
        });
        started.await();
        caller.interrupt();
        caller.join(java.time.Duration.ofSeconds(60));

        assertThat(caller.isAlive()).as("run returned after the interrupt").isFalse();
        assertThat(outcome.get()).isInstanceOf(InterruptedException.class);
        assertThat(runningContainers()).isEmpty();
    }

    @Test
    void startedContainerReadsStdinAndTakesSignals() throws Exception {
        try (RunningContainer container = runtime.start(
                active.mount(),
                shell(
                        "trap 'echo got-term; exit 7' TERM; read line; echo \"read $line\"; while true; do sleep 1; done"),
                stdout,
                stderr)) {
            container.stdin().write("hello\n".getBytes(StandardCharsets.UTF_8));
            container.stdin().flush();
            while (!stdout.text().contains("read hello")) {
                Thread.sleep(10);
            }
            container.signal(15);

            ExitStatus status = container.waitFor();

            assertThat(status.code()).isEqualTo(7);
            assertThat(stdout.text()).isEqualTo("read hello\ngot-term\n");
        }
    }

    @Test
    void anExecdProcessSharesTheContainersPidAndNetworkNamespacesAndItsFiles() throws Exception {
        try (RunningContainer init =
                runtime.start(active.mount(), shell("echo from-init > /note; exec sleep 1000"), stdout, stderr)) {
            Output seen = new Output();
            try (ExecProcess second = runtime.exec(
                    init,
                    shell("cat /proc/1/comm; [ $(readlink /proc/1/ns/pid) = $(readlink /proc/self/ns/pid) ] && echo"
                            + " same-pid; [ $(readlink /proc/1/ns/net) = $(readlink /proc/self/ns/net) ] && echo"
                            + " same-net; cat /note; read line; echo \"got $line\"; exit 7"),
                    seen,
                    stderr)) {
                second.stdin().write("typed\n".getBytes(StandardCharsets.UTF_8));
                second.stdin().close();
                assertThat(second.waitFor().code()).as(stderr.text()).isEqualTo(7);
            }
            assertThat(seen.text()).isEqualTo("sleep\nsame-pid\nsame-net\nfrom-init\ngot typed\n");
            assertThat(init.isAlive()).as("the first process runs on").isTrue();
        }
        assertThat(listed(state.resolve("runtime"))).isEmpty();
    }

    @Test
    void whenTheFirstProcessEndsTheOthersDieAndNoneCanJoin() throws Exception {
        try (RunningContainer init = runtime.start(active.mount(), shell("cat > /dev/null"), stdout, stderr);
                ExecProcess other = runtime.exec(init, shell("echo up; exec sleep 1000"), stdout, stderr)) {
            awaitOutput("up\n");
            init.stdin().close();
            assertThat(init.waitFor().code()).isZero();
            assertThat(other.waitFor().code())
                    .as("killed by the kernel with its pid namespace: " + stderr.text())
                    .isEqualTo(137);
            assertThatThrownBy(() -> runtime.exec(init, ProcessSpec.of("true"), stdout, stderr))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("has stopped");
        }
    }

    @Test
    void anExecdProcessTakesSignalsAndClosingItKillsItAlone() throws Exception {
        try (RunningContainer init = runtime.start(active.mount(), ProcessSpec.of("sleep", "1000"), stdout, stderr)) {
            Output ready = new Output();
            try (ExecProcess trapper = runtime.exec(
                    init, shell("trap 'exit 42' TERM; echo ready; while true; do sleep 0.1; done"), ready, stderr)) {
                for (int i = 0; i < 600 && !ready.text().contains("ready"); i++) {
                    Thread.sleep(20);
                }
                trapper.signal(15);
                assertThat(trapper.waitFor().code()).isEqualTo(42);
            }
            ExecProcess sleeper = runtime.exec(init, ProcessSpec.of("sleep", "1000"), stdout, stderr);
            sleeper.close();
            assertThat(sleeper.waitFor().code()).isEqualTo(137);
            assertThat(init.isAlive()).isTrue();
            try (Stream<Path> files = Files.list(init.bundle())) {
                assertThat(files.map(f -> f.getFileName().toString()))
                        .as("an exec'd process leaves no file behind")
                        .noneMatch(name -> name.startsWith("exec-"));
            }
        }
    }

    @Test
    void anExecdProcessOnATerminalSeesItsSizeAndResizes() throws Exception {
        try (RunningContainer init = runtime.start(active.mount(), ProcessSpec.of("sleep", "1000"), stdout, stderr);
                TerminalContainer shell = runtime.execOnTerminal(
                        init,
                        shell("echo $TERM; stty size; while read line; do stty size; done"),
                        new dev.kiln.worker.sys.Pty.WindowSize(33, 91))) {
            Output screen = new Output();
            Thread reader = Thread.ofPlatform().daemon().start(() -> {
                byte[] buffer = new byte[4096];
                try {
                    for (int read; (read = shell.terminal().read(buffer, 0, buffer.length)) > 0; ) {
                        screen.write(buffer, 0, read);
                    }
                } catch (IOException closed) {
                    // the terminal closed with the process
                }
            });
            awaitScreen(screen, "33 91\r\n");
            assertThat(screen.text())
                    .as("the first lines pass the container's terminal only, not ours as well")
                    .isEqualTo("xterm\r\n33 91\r\n");
            shell.resize(new dev.kiln.worker.sys.Pty.WindowSize(40, 120));
            // the runtime passes the size on when it handles its SIGWINCH, a moment later: ask until it shows
            for (int i = 0; i < 100 && !screen.text().contains("40 120"); i++) {
                shell.terminal().write("\n".getBytes(StandardCharsets.UTF_8), 0, 1);
                Thread.sleep(50);
            }
            assertThat(screen.text()).contains("40 120\r\n");
            shell.container().signal(9);
            assertThat(shell.container().waitFor().code()).isEqualTo(137);
            reader.join(10_000);
        }
    }

    private static void awaitScreen(Output screen, String expected) throws InterruptedException {
        for (int i = 0; i < 600 && !screen.text().contains(expected); i++) {
            Thread.sleep(20);
        }
        assertThat(screen.text()).contains(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/usr/sbin/runc", "/usr/bin/crun"})
    void execWorksWithEitherRuntime(String binary) throws Exception {
        ContainerRuntime chosen = runtimeIfItWorksHere(binary, "runtime-exec-");
        try (RunningContainer init = chosen.start(active.mount(), ProcessSpec.of("sleep", "1000"), stdout, stderr);
                ExecProcess ps =
                        chosen.exec(init, shell("cat /proc/1/comm; id -u").withUser("user"), stdout, stderr)) {
            assertThat(ps.waitFor().success()).as(stderr.text()).isTrue();
        }
        assertThat(stdout.text()).isEqualTo("sleep\n1000\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/usr/sbin/runc", "/usr/bin/crun"})
    void basicRunWorksWithEitherRuntime(String binary) throws Exception {
        ContainerRuntime chosen = runtimeIfItWorksHere(binary, "runtime-");

        ExitStatus status = chosen.run(
                active.mount(),
                shell("echo $0 in $(hostname) > proof; cat proof; id -u")
                        .withUser("user")
                        .withCwd("/home/user"),
                stdout,
                stderr);

        assertThat(status.success()).as(stderr.text()).isTrue();
        assertThat(stdout.text()).isEqualTo("sh in buildkitsandbox\n1000\n");
    }

    /** The runtime {@code binary}, its state in a directory of its own; skips the test where it cannot run. */
    private static ContainerRuntime runtimeIfItWorksHere(String binary, String statePrefix) throws IOException {
        assumeTrue(
                !binary.endsWith("crun") || !hybridCgroupsWithV2Controllers(),
                "crun refuses every container on hosts with hybrid cgroups and controllers in the v2 part");
        return ContainerRuntime.of(
                Path.of(binary), state.resolve(statePrefix + Path.of(binary).getFileName()));
    }

    private static boolean hybridCgroupsWithV2Controllers() throws IOException {
        Path controllers = Path.of("/sys/fs/cgroup/unified/cgroup.controllers");
        return Files.exists(controllers) && !Files.readString(controllers).isBlank();
    }

    @Test
    void missingRuntimeBinaryIsAClearError() {
        assertThatThrownBy(() -> ContainerRuntime.of(Path.of("/nonexistent/runc"), state.resolve("x")))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("/nonexistent/runc is not an executable file");
    }
}
