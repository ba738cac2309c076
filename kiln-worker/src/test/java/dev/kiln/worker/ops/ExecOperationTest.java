package dev.kiln.worker.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.llb.pb.ExecOp;
import dev.kiln.llb.pb.HostIP;
import dev.kiln.llb.pb.Meta;
import dev.kiln.llb.pb.Mount;
import dev.kiln.llb.pb.MountType;
import dev.kiln.llb.pb.NetMode;
import dev.kiln.llb.pb.Op;
import dev.kiln.llb.pb.TmpfsOpt;
import dev.kiln.llb.pb.Ulimit;
import dev.kiln.solver.OperationContext;
import dev.kiln.solver.Result;
import dev.kiln.worker.BusyboxRootfs;
import dev.kiln.worker.ForeignBusybox;
import dev.kiln.worker.SnapshotResult;
import dev.kiln.worker.runtime.ContainerRuntime;
import dev.kiln.worker.runtime.Emulators;
import dev.kiln.worker.snapshot.ActiveSnapshot;
import dev.kiln.worker.snapshot.Mounted;
import dev.kiln.worker.snapshot.Snapshot;
import dev.kiln.worker.snapshot.Snapshotter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ExecOps as the solver hands them to the worker, run in real runc containers on busybox: what the op's fields
 * (meta, network, mounts) turn into inside the container. Each step writes what it sees to /tmp/out
 * in its root, where any user may write.
 */
class ExecOperationTest {
    @TempDir
    static Path state;

    static Snapshotter snapshotter;
    static Snapshot busybox;
    static ContainerRuntime runtime;
    static CacheMounts cacheMounts;
    static SecretMounts secrets;

    @BeforeAll
    static void open() throws IOException {
        snapshotter = Snapshotter.open(state.resolve("snapshots"));
        busybox = BusyboxRootfs.commit(snapshotter);
        runtime = ContainerRuntime.detect(state.resolve("runtime"));
        cacheMounts = new CacheMounts(state.resolve("cache"));
        secrets = new SecretMounts(null, state.resolve("secrets"));
    }

    @AfterAll
    static void close() throws IOException {
        snapshotter.close();
    }

    /** Runs {@code script} as an ExecOp on busybox, the op shaped by {@code shape}; returns its /tmp/out. */
    static String run(String script, UnaryOperator<ExecOp.Builder> shape) throws Exception {
        return run(busybox, script, shape);
    }

    static String run(Snapshot base, String script, UnaryOperator<ExecOp.Builder> shape) throws Exception {
        Op op = Op.newBuilder().setExec(shape.apply(shellStep(script))).build();

        List<Result> outputs = new ExecOperation(op, snapshotter, () -> runtime, cacheMounts, secrets)
                .exec(new Context(), List.of(new SnapshotResult(base)));

        try (Mounted root = snapshotter.mountReadOnly(SnapshotResult.of(outputs.getFirst()))) {
            return Files.readString(root.path().resolve("tmp/out"));
        }
    }

    private static ExecOp.Builder meta(ExecOp.Builder exec, UnaryOperator<Meta.Builder> change) {
        return exec.setMeta(change.apply(exec.getMeta().toBuilder()));
    }

    @Test
    void stepWithoutHostnameIsBuildkitsandboxInItsOwnHostsFile() throws Exception {
        String seen = run("hostname; cat /etc/hosts", exec -> exec);

        assertThat(seen).isEqualTo("""
                buildkitsandbox
                127.0.0.1\tlocalhost buildkitsandbox
                ::1\tlocalhost ip6-localhost ip6-loopback
                """);
    }

    @Test
    void hostNetworkStepGetsHostnameAndExtraHostsInAGeneratedHostsFile() throws Exception {
        String seen = run(
                "cat /etc/hosts",
                exec -> meta(
                        exec.setNetwork(NetMode.HOST),
                        m -> m.setHostname("box")
                                .addExtraHosts(HostIP.newBuilder()
                                        .setHost("registry.test")
                                        .setIP("10.1.2.3"))));

        assertThat(seen).isEqualTo("""
                127.0.0.1\tlocalhost box
                ::1\tlocalhost ip6-localhost ip6-loopback
                10.1.2.3\tregistry.test
                """);
    }

    @Test
    void proxyBuildArgsOverrideTheImagesProxyVariablesUnderBothSpellings() throws Exception {
        String seen = run(
                "echo \"$HTTP_PROXY $http_proxy $NO_PROXY\"; env | grep -c -i '^http_proxy='",
                exec -> meta(
                        exec,
                        m -> m.addEnv("HTTP_PROXY=http://from-image:3128")
                                .addEnv("NO_PROXY=image.local")
                                .setProxyEnv(
                                        dev.kiln.llb.pb.ProxyEnv.newBuilder().setHttpProxy("http://from-arg:8080"))));

        assertThat(seen).isEqualTo("http://from-arg:8080 http://from-arg:8080 image.local\n2\n");
    }

    @Test
    void rootStepListsGroupZeroAmongItsGroups() throws Exception {
        Snapshot withWheel;
        try (ActiveSnapshot image = snapshotter.prepare(busybox)) {
            Files.writeString(image.mount().resolve("etc/group"), "wheel:x:10:root\n", StandardOpenOption.APPEND);
            withWheel = image.commit();
        }

        String seen = run(withWheel, "id", exec -> exec);

        assertThat(seen).isEqualTo("uid=0(root) gid=0(root) groups=0(root),10(wheel)\n");
    }

    @Test
    void userStepHasItsPrimaryGroupAndMemberships() throws Exception {
        String seen = run("id", exec -> meta(exec, m -> m.setUser("user")));

        assertThat(seen).isEqualTo("uid=1000(user) gid=1000(user) groups=50(staff),1000(user)\n");
    }

    @Test
    void tmpfsMountAtDevShmReplacesTheDefaultShm() throws Exception {
        String seen = run(
                "grep ' /dev/shm ' /proc/mounts",
                exec -> exec.addMounts(Mount.newBuilder()
                        .setInput(-1)
                        .setDest("/dev/shm")
                        .setOutput(-1)
                        .setMountType(MountType.TMPFS)
                        .setTmpfsOpt(TmpfsOpt.newBuilder().setSize(128L * 1024 * 1024))));

        assertThat(seen.lines())
                .singleElement()
                .asString()
                .startsWith("tmpfs /dev/shm tmpfs rw,nosuid,")
                .contains("size=131072k");
    }

    @Test
    void defaultShmIs64MegabytesWithoutExecDevOrSuid() throws Exception {
        String seen = run("grep ' /dev/shm ' /proc/mounts", exec -> exec);

        assertThat(seen.lines())
                .singleElement()
                .asString()
                .startsWith("shm /dev/shm tmpfs rw,nosuid,nodev,noexec,")
                .contains("size=65536k");
    }

    @Test
    void networkNoneHasOnlyLoopback() throws Exception {
        String seen = run(
                "ls /sys/class/net; tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '",
                exec -> exec.setNetwork(NetMode.NONE));

        assertThat(seen).isEqualTo("lo\nlo\n");
    }

    @Test
    void ulimitsOfTheOpReachTheProcess() throws Exception {
        String seen = run(
                "ulimit -n; ulimit -Hn",
                exec -> meta(
                        exec,
                        m -> m.addUlimit(Ulimit.newBuilder()
                                .setName("nofile")
                                .setSoft(1234)
                                .setHard(2345))));

        assertThat(seen).isEqualTo("1234\n2345\n");
    }

    /** The solver's side of a vertex; the step's output is not looked at here. */
    private static final class Context implements OperationContext {
        @Override
        public String vertexDigest() {
            return "sha256:0";
        }

        @Override
        public String vertexName() {
            return "exec";
        }

        @Override
        public void log(int stream, byte[] data, int offset, int length) {}

        @Override
        public void warn(String message) {}
    }

    @Test
    void foreignPlatformStepRunsUnderItsEmulator() throws Exception {
        Assumptions.assumeTrue(
                ForeignBusybox.missing().isEmpty(),
                () -> ForeignBusybox.missing().orElse(""));
        Snapshot arm64;
        try (ActiveSnapshot image = snapshotter.prepare(Snapshot.SCRATCH)) {
            BusyboxRootfs.populate(image.mount(), ForeignBusybox.arm64());
            arm64 = image.commit();
        }
        Op op = Op.newBuilder()
                .setExec(shellStep("uname -m"))
                .setPlatform(
                        dev.kiln.llb.pb.Platform.newBuilder().setOS("linux").setArchitecture("arm64"))
                .build();

        List<Result> outputs = new ExecOperation(op, snapshotter, () -> runtime, cacheMounts, secrets)
                .exec(new Context(), List.of(new SnapshotResult(arm64)));

        try (Mounted root = snapshotter.mountReadOnly(SnapshotResult.of(outputs.getFirst()))) {
            assertThat(Files.readString(root.path().resolve("tmp/out"))).isEqualTo("aarch64\n");
        }
    }

    @Test
    void foreignPlatformStepWithoutEmulatorNamesTheMissingOne() throws Exception {
        Assumptions.assumeTrue(Emulators.emulatorName("arm64").equals("qemu-aarch64"));
        Assumptions.assumeFalse(
                dev.kiln.core.Platform.current().normalize().architecture().equals("arm64"));
        Path noEmulators = Files.createDirectories(state.resolve("empty-binfmt_misc"));
        Op op = Op.newBuilder()
                .setExec(shellStep("uname -m"))
                .setPlatform(
                        dev.kiln.llb.pb.Platform.newBuilder().setOS("linux").setArchitecture("arm64"))
                .build();

        assertThatThrownBy(() -> new ExecOperation(
                                op, snapshotter, () -> runtime, cacheMounts, secrets, Emulators.at(noEmulators))
                        .exec(new Context(), List.of(new SnapshotResult(busybox))))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("linux/arm64 needs the emulator qemu-aarch64")
                .hasMessageContaining("apt-get install qemu-user-static");
    }

    private static ExecOp.Builder shellStep(String script) {
        return ExecOp.newBuilder()
                .setMeta(Meta.newBuilder()
                        .setCwd("/")
                        .addArgs("/bin/sh")
                        .addArgs("-c")
                        .addArgs("{ " + script + "; } > /tmp/out"))
                .addMounts(
                        Mount.newBuilder().setInput(0).setDest("/").setOutput(0).setMountType(MountType.BIND));
    }
}
