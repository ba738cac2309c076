package dev.kiln.engine;

import static dev.kiln.engine.ExportedFiles.bytes;
import static dev.kiln.engine.ExportedFiles.imageOwner;
import static dev.kiln.engine.ExportedFiles.listing;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.llb.CacheSharing;
import dev.kiln.llb.ExecState;
import dev.kiln.llb.FileAction;
import dev.kiln.llb.Mount;
import dev.kiln.llb.NetMode;
import dev.kiln.llb.OpOption;
import dev.kiln.llb.RunOption;
import dev.kiln.llb.State;
import dev.kiln.solver.ProgressEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** RUN steps in real containers: what the process sees, and what it leaves in the result. */
class ExecTest {

    @RegisterExtension
    static final EngineFixture kiln = new EngineFixture();

    private static State base() {
        return EngineFixture.base();
    }

    @Test
    void envFromTheStateAndTheStepReachTheProcess() throws Exception {
        Path out = kiln.build(base().env("FROM_STATE", "state value")
                .run(
                        RunOption.sh("echo \"$FROM_STATE|$FROM_STEP|$PATH\" > /env.txt"),
                        RunOption.env("FROM_STEP", "step value"))
                .root());

        assertThat(Files.readString(out.resolve("env.txt")))
                .startsWith("state value|step value|")
                .contains("/bin");
    }

    @Test
    void workingDirectoryIsCreatedAndUsed() throws Exception {
        Path out = kiln.build(base().dir("/work")
                .run(RunOption.sh("pwd > here.txt"), RunOption.dir("sub"))
                .root());

        assertThat(Files.readString(out.resolve("work/sub/here.txt"))).isEqualTo("/work/sub\n");
    }

    @Test
    void userByNameAndByIdsComesFromTheRootfs() throws Exception {
        State state = base().run(RunOption.sh("id > /tmp/by-name.txt"), RunOption.user("user"))
                .root()
                .run(RunOption.sh("id > /tmp/by-ids.txt"), RunOption.user("1000:50"))
                .root()
                .run(RunOption.sh("id > /tmp/root.txt"))
                .root();

        Path out = kiln.build(state);

        assertThat(Files.readString(out.resolve("tmp/by-name.txt"))).startsWith("uid=1000(user) gid=1000(user)");
        assertThat(Files.readString(out.resolve("tmp/by-ids.txt"))).startsWith("uid=1000(user) gid=50(staff)");
        assertThat(Files.readString(out.resolve("tmp/root.txt"))).startsWith("uid=0(root) gid=0(root)");
        assertThat(imageOwner(out, "tmp/by-name.txt")).isEqualTo("1000:1000");
    }

    @Test
    void unknownUserFailsTheStepNamingIt() {
        assertThatThrownBy(() -> kiln.build(base().run(RunOption.sh("true"), RunOption.user("ghost"))
                        .root()))
                .isInstanceOf(BuildException.class)
                .hasMessageContaining("ghost");
    }

    @Test
    void unknownUserErrorSpeaksOfTheImageNotOfTheEnginesMounts() {
        assertThatThrownBy(() -> kiln.build(base().run(RunOption.sh("true"), RunOption.user("phantom"))
                        .root()))
                .isInstanceOf(BuildException.class)
                .hasMessageContaining("phantom")
                .hasMessageNotContaining(kiln.dir.toString());
    }

    @Test
    void networkNoneLeavesOnlyLoopback() throws Exception {
        Path out = kiln.build(base().run(
                        RunOption.sh("tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' > /interfaces"),
                        RunOption.network(NetMode.NONE))
                .root());

        assertThat(Files.readString(out.resolve("interfaces"))).isEqualTo("lo\n");
    }

    @Test
    void readonlyRootfsRejectsWritesButItsMountsStayWritable() throws Exception {
        ExecState exec = base().run(
                        RunOption.sh(
                                "if { echo no > /written; } 2>/out/error; then echo writable; else echo readonly; fi > /out/result; "
                                        + "head -1 /etc/passwd > /out/first-line"),
                        RunOption.readonlyRootfs(),
                        RunOption.mount("/out", Mount.bind(State.scratch())));

        Path out = kiln.build(exec.mount("/out"));

        assertThat(Files.readString(out.resolve("result"))).isEqualTo("readonly\n");
        assertThat(Files.readString(out.resolve("error"))).contains("Read-only file system");
        assertThat(Files.readString(out.resolve("first-line"))).isEqualTo("root:x:0:0:root:/root:/bin/sh\n");
    }

    @Test
    void writeToAReadonlyRootfsFailsTheStep() {
        ExecState exec = base().run(
                        RunOption.sh("echo no > /written"),
                        RunOption.readonlyRootfs(),
                        RunOption.mount("/out", Mount.bind(State.scratch())),
                        OpOption.customName("write to ro root"));

        assertThatThrownBy(() -> kiln.build(exec.mount("/out")))
                .isInstanceOf(BuildException.class)
                .hasMessageContaining("echo no > /written");
        // the shell's complaint is the step's output, which the progress reports as the step's log
        assertThat(kiln.events)
                .anySatisfy(event -> assertThat(event)
                        .isInstanceOfSatisfying(
                                ProgressEvent.VertexLog.class,
                                log -> assertThat(new String(log.data(), java.nio.charset.StandardCharsets.UTF_8))
                                        .contains("Read-only file system")));
    }

    @Test
    void bindMountWithSelectorAndReadonlyShowsOnlyThatPathAndRejectsWrites() throws Exception {
        State other = State.scratch()
                .file(FileAction.mkdir("/sub", 0755)
                        .mkfile("/sub/inside", 0644, bytes("inside\n"))
                        .mkfile("/outside", 0644, bytes("outside\n")));
        State state = base().run(
                        RunOption.sh(
                                "ls /mnt > /listing; cat /mnt/inside > /copied; "
                                        + "if touch /mnt/new 2>/dev/null; then echo writable; else echo readonly; fi > /write-test"),
                        RunOption.mount(
                                "/mnt", Mount.bind(other).withSelector("/sub").asReadonly()))
                .root();

        Path out = kiln.build(state);

        assertThat(Files.readString(out.resolve("listing"))).isEqualTo("inside\n");
        assertThat(Files.readString(out.resolve("copied"))).isEqualTo("inside\n");
        assertThat(Files.readString(out.resolve("write-test"))).isEqualTo("readonly\n");
        assertThat(out.resolve("mnt")).as("mount point stub").doesNotExist();
    }

    @Test
    void bindMountOfASingleFileShowsThatFile() throws Exception {
        State other = State.scratch()
                .file(FileAction.mkdir("/conf", 0755).mkfile("/conf/app.conf", 0600, bytes("setting=1\n")));
        State state = base().run(
                        RunOption.sh("cat /etc/app.conf > /seen"),
                        RunOption.mount(
                                "/etc/app.conf",
                                Mount.bind(other).withSelector("/conf/app.conf").asReadonly()))
                .root();

        Path out = kiln.build(state);

        assertThat(Files.readString(out.resolve("seen"))).isEqualTo("setting=1\n");
        assertThat(out.resolve("etc/app.conf")).as("mount point stub").doesNotExist();
    }

    @Test
    void bindMountWhoseSelectorIsMissingIsAnErrorNamingIt() {
        State other = State.scratch().file(FileAction.mkdir("/present", 0755));

        assertThatThrownBy(() -> kiln.build(base().run(
                                RunOption.sh("true"),
                                RunOption.mount(
                                        "/mnt",
                                        Mount.bind(other)
                                                .withSelector("/absent")
                                                .asReadonly()))
                        .root()))
                .isInstanceOf(BuildException.class)
                .hasMessageContaining("/mnt")
                .hasMessageContaining("/absent");
    }

    @Test
    void writableBindMountIsAnOutputOfTheStep() throws Exception {
        State data = State.scratch().file(FileAction.mkfile("/existing", 0644, bytes("existing\n")));
        ExecState exec = base().run(
                        RunOption.sh("cat /data/existing > /data/new; echo root > /in-root"),
                        RunOption.mount("/data", Mount.bind(data)));

        Path mountOut = kiln.build(exec.mount("/data"));
        Path rootOut = kiln.build(exec.root());

        assertThat(listing(mountOut)).containsExactly("existing", "new");
        assertThat(Files.readString(mountOut.resolve("new"))).isEqualTo("existing\n");
        assertThat(Files.readString(rootOut.resolve("in-root"))).isEqualTo("root\n");
        assertThat(rootOut.resolve("data/new")).doesNotExist();
    }

    @Test
    void tmpfsMountIsEmptyMemoryAndLeavesNothingBehind() throws Exception {
        Path out = kiln.build(base().run(
                        RunOption.sh(
                                "grep ' /scratch ' /proc/mounts | cut -d' ' -f3 > /fstype; ls -A /scratch | wc -l > /count; "
                                        + "echo gone > /scratch/file"),
                        RunOption.mount("/scratch", Mount.tmpfs()))
                .root());

        assertThat(Files.readString(out.resolve("fstype"))).isEqualTo("tmpfs\n");
        assertThat(Files.readString(out.resolve("count")).strip()).isEqualTo("0");
        assertThat(out.resolve("scratch/file")).doesNotExist();
    }

    @Test
    void cacheMountContentSurvivesBetweenBuildsButNotIntoTheResult() throws Exception {
        Mount.Cache cache = Mount.cache("counter-" + UUID.randomUUID(), CacheSharing.LOCKED);
        State first = base().run(
                        RunOption.sh("echo first >> /cache/log; cp /cache/log /seen"), RunOption.mount("/cache", cache))
                .root();
        State second = base().run(
                        RunOption.sh("echo second >> /cache/log; cp /cache/log /seen"),
                        RunOption.mount("/cache", cache))
                .root();

        Path firstOut = kiln.build(first);
        Path secondOut = kiln.build(second);

        assertThat(Files.readString(firstOut.resolve("seen"))).isEqualTo("first\n");
        assertThat(Files.readString(secondOut.resolve("seen"))).isEqualTo("first\nsecond\n");
        assertThat(secondOut.resolve("cache/log")).doesNotExist();
    }

    @Test
    void cacheMountStartsFromItsSeedState() throws Exception {
        State seed = State.scratch().file(FileAction.mkfile("/seeded", 0644, bytes("from seed\n")));
        Mount.Cache cache =
                Mount.cache("seeded-" + UUID.randomUUID(), CacheSharing.SHARED).seededFrom(seed);

        Path out = kiln.build(base().run(RunOption.sh("cat /cache/seeded > /seen"), RunOption.mount("/cache", cache))
                .root());

        assertThat(Files.readString(out.resolve("seen"))).isEqualTo("from seed\n");
    }

    @Test
    void validExitCodesAcceptANonZeroExit() throws Exception {
        Path out = kiln.build(base().run(RunOption.sh("echo done > /done; exit 5"), RunOption.validExitCodes(0, 5))
                .root());

        assertThat(Files.readString(out.resolve("done"))).isEqualTo("done\n");
    }

    @Test
    void validExitCodesRejectZeroWhenNotListed() {
        assertThatThrownBy(() -> kiln.build(base().run(RunOption.sh("exit 0"), RunOption.validExitCodes(1))
                        .root()))
                .isInstanceOf(BuildException.class)
                .hasMessageContaining("exit code: 0");
    }

    @Test
    void argsRunWithoutAShell() throws Exception {
        Path out = kiln.build(base().run(RunOption.args("/bin/mkdir", "-p", "/made by args/$HOME"))
                .root());

        assertThat(out.resolve("made by args/$HOME")).isDirectory();
    }

    @Test
    void hostnameAndExtraHostsAreSeenByTheProcess() throws Exception {
        Path out = kiln.build(base().hostname("builder")
                .extraHost("registry.test", "10.1.2.3")
                .run(RunOption.sh("hostname > /name; grep registry.test /etc/hosts > /hosts"))
                .root());

        assertThat(Files.readString(out.resolve("name"))).isEqualTo("builder\n");
        assertThat(Files.readString(out.resolve("hosts"))).contains("10.1.2.3").contains("registry.test");
    }

    @Test
    void stepsSeeTheFilesOfEarlierSteps() throws Exception {
        State state = base().run(RunOption.sh("echo 1 > /count"))
                .root()
                .run(RunOption.sh("echo $(( $(cat /count) + 1 )) > /count"))
                .root();

        Path out = kiln.build(state);

        assertThat(Files.readString(out.resolve("count"))).isEqualTo("2\n");
    }
}
