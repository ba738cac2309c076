package dev.kiln.llb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.core.Digest;
import dev.kiln.core.Platform;
import dev.kiln.llb.pb.Definition;
import dev.kiln.llb.pb.ExecOp;
import dev.kiln.llb.pb.FileAction;
import dev.kiln.llb.pb.MountType;
import dev.kiln.llb.pb.Op;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StateTest {

    private static final MarshalOptions OPTIONS = new MarshalOptions(Platform.of("linux", "amd64"), null);

    private static LlbEdge output(State state) {
        return LlbGraph.decode(state.marshal(OPTIONS)).output().orElseThrow();
    }

    private static Op op(State state) {
        return output(state).vertex().op();
    }

    private static ExecOp exec(State state) {
        return op(state).getExec();
    }

    @Test
    void statesAreValuesThatNeverChange() {
        State base = State.image("busybox");
        State withEnv = base.env("A", "1");

        assertThat(base.getEnv("A")).isEmpty();
        assertThat(withEnv.getEnv("A")).hasValue("1");
        assertThat(base.marshal(OPTIONS)).isEqualTo(State.image("busybox").marshal(OPTIONS));
    }

    @Test
    void settingAVariableAgainMovesItToTheEndAsBuildKitDoes() {
        State state = State.scratch().env("A", "1").env("B", "2").env("A", "3");

        assertThat(state.getEnvMap()).containsExactly(Map.entry("B", "2"), Map.entry("A", "3"));
        assertThat(exec(State.image("busybox")
                                .env("A", "1")
                                .env("B", "2")
                                .env("A", "3")
                                .run(RunOption.args("env"))
                                .root())
                        .getMeta()
                        .getEnvList())
                .containsExactly("B=2", "A=3");
    }

    @Test
    void aRelativeDirectoryIsTakenFromTheCurrentOne() {
        State state = State.scratch().dir("/app").dir("src/../lib");

        assertThat(state.getDir()).isEqualTo("/app/lib");
        assertThat(State.scratch().dir("/keep/as/written/").getDir()).isEqualTo("/keep/as/written/");
    }

    @Test
    void runOptionsOverrideTheStateForThatStepOnly() {
        State base = State.image("busybox").env("A", "1").dir("/work").user("app");

        ExecState step = base.run(
                RunOption.sh("true"),
                RunOption.env("B", "2"),
                RunOption.dir("sub"),
                RunOption.user("root"),
                RunOption.hostname("h"),
                RunOption.network(NetMode.HOST),
                RunOption.validExitCodes(0, 3));

        var meta = exec(step.root()).getMeta();
        assertThat(meta.getEnvList()).containsExactly("A=1", "B=2");
        assertThat(meta.getCwd()).isEqualTo("/work/sub");
        assertThat(meta.getUser()).isEqualTo("root");
        assertThat(meta.getHostname()).isEqualTo("h");
        assertThat(meta.getValidExitCodesList()).containsExactly(0, 3);
        assertThat(exec(step.root()).getNetwork()).isEqualTo(dev.kiln.llb.pb.NetMode.HOST);
        assertThat(step.root().getEnvMap()).containsOnlyKeys("A");
        assertThat(step.root().getDir()).isEqualTo("/work");
        assertThat(step.root().getUser()).isEqualTo("app");
    }

    @Test
    void proxySettingsGoToTheOpsProxyEnvNotItsEnvAndNeedTheirCap() {
        State step = State.image("busybox")
                .run(RunOption.args("wget", "x"), RunOption.proxy("http://p:3128", "", "", "localhost", ""))
                .root();
        var meta = exec(step).getMeta();
        assertThat(meta.getEnvList()).isEmpty();
        assertThat(meta.getProxyEnv().getHttpProxy()).isEqualTo("http://p:3128");
        assertThat(meta.getProxyEnv().getNoProxy()).isEqualTo("localhost");
        assertThat(meta.getProxyEnv().getHttpsProxy()).isEmpty();
        LlbVertex run =
                LlbGraph.decode(step.marshal(OPTIONS)).output().orElseThrow().vertex();
        assertThat(run.metadata().getCapsMap()).containsKey("exec.meta.proxyenv");

        var without = exec(State.image("busybox")
                        .run(RunOption.args("wget", "x"))
                        .root())
                .getMeta();
        assertThat(without.hasProxyEnv()).isFalse();
    }

    @Test
    void noDefaultPathIsAddedBecauseTheWorkerSetsIt() {
        // BuildKit's client adds PATH only for daemons without the exec.meta.setsdefaultpath capability.
        assertThat(exec(State.image("busybox").run(RunOption.args("ls")).root())
                        .getMeta()
                        .getEnvList())
                .isEmpty();
    }

    @Test
    void shlexSplitsLikeAShellWithoutRunningOne() {
        assertThat(exec(State.scratch()
                                .run(RunOption.shlex("echo 'a b' \"c \\\"d\\\"\" e\\ f # comment"))
                                .root())
                        .getMeta()
                        .getArgsList())
                .containsExactly("echo", "a b", "c \"d\"", "e f");
        assertThatThrownBy(() -> RunOption.shlex("echo 'open")).hasMessageContaining("unclosed single quote");
    }

    @Test
    void aRunStepWithoutACommandIsRejected() {
        assertThatThrownBy(() -> State.image("busybox").run(RunOption.env("A", "1")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("a run step needs a command");
        assertThatThrownBy(() -> RunOption.args()).hasMessageContaining("at least one argument");
    }

    @Test
    void writableMountsAreOutputsNumberedByDestination() {
        ExecState step = State.image("busybox")
                .run(
                        RunOption.args("build"),
                        RunOption.mount("/b", Mount.bind(State.scratch())),
                        RunOption.mount("/a", Mount.bind(State.local("ctx")).withSelector("/sub")),
                        RunOption.mount("/c", Mount.cache("deps", CacheSharing.PRIVATE)),
                        RunOption.mount("/d", Mount.tmpfs()));

        assertThat(output(step.root()).index()).isZero();
        assertThat(output(step.mount("/a")).index()).isEqualTo(1);
        assertThat(output(step.mount("/b")).index()).isEqualTo(2);
        assertThat(output(step.root()).vertex().outputs()).containsExactly(0L, 1L, 2L);
        List<dev.kiln.llb.pb.Mount> mounts = exec(step.root()).getMountsList();
        assertThat(mounts).extracting(dev.kiln.llb.pb.Mount::getDest).containsExactly("/", "/a", "/b", "/c", "/d");
        assertThat(mounts).extracting(dev.kiln.llb.pb.Mount::getOutput).containsExactly(0L, 1L, 2L, -1L, -1L);
        assertThat(mounts).extracting(dev.kiln.llb.pb.Mount::getInput).containsExactly(0L, 1L, -1L, -1L, -1L);
        assertThat(mounts.get(3).getCacheOpt().getSharing()).isEqualTo(dev.kiln.llb.pb.CacheSharingOpt.PRIVATE);
        assertThat(mounts.get(4).getMountType()).isEqualTo(MountType.TMPFS);
    }

    @Test
    void mountsWithoutAResultCannotBeUsedAsStates() {
        ExecState step = State.image("busybox")
                .run(
                        RunOption.args("build"),
                        RunOption.mount("/cache", Mount.cache("deps", CacheSharing.SHARED)),
                        RunOption.mount("/ro", Mount.bind(State.local("ctx")).asReadonly()));

        assertThatThrownBy(() -> step.mount("/cache")).hasMessageContaining("is a cache mount");
        assertThatThrownBy(() -> step.mount("/nowhere")).hasMessageContaining("no mount at /nowhere");
        assertThat(step.mount("/ro").marshal(OPTIONS))
                .isEqualTo(State.local("ctx").marshal(OPTIONS));
    }

    @Test
    void twoMountsAtOnePathAreRejected() {
        assertThatThrownBy(() -> State.image("busybox")
                        .run(RunOption.args("x"), RunOption.mount("/", Mount.bind(State.scratch()))))
                .hasMessageContaining("two mounts at / in one run step");
    }

    @Test
    void readonlyRootMakesTheRootOutputTheInput() {
        State base = State.image("busybox");
        ExecState step = base.run(
                RunOption.args("check"),
                RunOption.readonlyRootfs(),
                RunOption.mount("/out", Mount.bind(State.scratch())));

        assertThat(step.root().marshal(OPTIONS)).isEqualTo(base.marshal(OPTIONS));
        assertThat(output(step.mount("/out")).index()).isZero();
        assertThat(exec(step.mount("/out")).getMounts(0).getReadonly()).isTrue();
    }

    @Test
    void secretsAndSshAgentsAreMountsWithoutInputs() {
        State state = State.image("busybox")
                .run(
                        RunOption.args("deploy"),
                        RunOption.secret("token", "/run/secrets/token")
                                .owner(1000, 1000)
                                .mode(0440),
                        RunOption.secretEnv("key", "API_KEY").asOptional(),
                        RunOption.ssh("github"))
                .root();

        ExecOp exec = exec(state);
        assertThat(exec.getMountsList())
                .extracting(dev.kiln.llb.pb.Mount::getDest)
                .containsExactly("/", "/run/secrets/token", "/run/buildkit/ssh_agent.0");
        assertThat(exec.getMounts(1).getInput()).isEqualTo(-1);
        assertThat(exec.getMounts(1).getSecretOpt().getMode()).isEqualTo(0440);
        assertThat(exec.getMounts(2).getSSHOpt().getID()).isEqualTo("github");
        assertThat(exec.getSecretenv(0).getName()).isEqualTo("API_KEY");
        assertThat(exec.getSecretenv(0).getOptional()).isTrue();
        assertThat(exec.getMeta().getEnvList()).containsExactly("SSH_AUTH_SOCK=/run/buildkit/ssh_agent.0");
    }

    @Test
    void extraHostsAreWrittenAsGoWritesAddresses() {
        var hosts = exec(State.image("busybox")
                        .extraHost("a", "2001:db8:0:0:1:0:0:1")
                        .extraHost("b", "::ffff:10.0.0.1")
                        .run(RunOption.args("x"), RunOption.extraHost("c", "0:0:0:0:0:0:0:1"))
                        .root())
                .getMeta()
                .getExtraHostsList();

        assertThat(hosts)
                .extracting(dev.kiln.llb.pb.HostIP::getIP)
                .containsExactly("2001:db8::1:0:0:1", "10.0.0.1", "::1");
        assertThatThrownBy(() -> RunOption.extraHost("db", "db.example.com"))
                .hasMessageContaining("is not an IP address");
    }

    @Test
    void theImagePlatformReachesTheRunStepsOnIt() {
        State arm = State.image("busybox", OpOption.platform(Platform.of("linux", "arm64")));
        State step = arm.run(RunOption.args("uname")).root();

        assertThat(arm.getPlatform()).hasValue(Platform.of("linux", "arm64"));
        assertThat(op(step).getPlatform().getArchitecture()).isEqualTo("arm64");
        assertThat(op(State.image("busybox")
                                .platform(Platform.parse("linux/armhf"))
                                .run(RunOption.args("uname"))
                                .root())
                        .getPlatform()
                        .getVariant())
                .isEqualTo("v7");
        assertThat(op(State.image("busybox")).getPlatform().getArchitecture()).isEqualTo("amd64");
        Definition s390x = State.image("busybox").marshal(Platform.of("linux", "s390x"));
        assertThat(LlbGraph.decode(s390x)
                        .vertices()
                        .getFirst()
                        .op()
                        .getPlatform()
                        .getArchitecture())
                .isEqualTo("s390x");
    }

    @Test
    void onlyImageSourcesCarryAPlatform() {
        assertThat(op(State.local("ctx")).hasPlatform()).isFalse();
        assertThat(op(State.git("https://example.com/r.git", "main")).hasPlatform())
                .isFalse();
        assertThat(op(State.scratch().file(dev.kiln.llb.FileAction.mkdir("/x", 0755)))
                        .hasPlatform())
                .isFalse();
        assertThat(op(State.ociLayout("store@sha256:82d1e9d7ed48a7523bdebc18cf6290bdb97b82302a8a9c27d4fe885949ea94d1"))
                        .hasPlatform())
                .isTrue();
    }

    @Test
    void localSourcesCarryTheirOptionsAsBuildKitAttributes() {
        Map<String, String> attrs = op(State.local(
                        "context",
                        LocalOption.include("src/**", "<go>"),
                        LocalOption.exclude("*.tmp"),
                        LocalOption.followPaths("link"),
                        LocalOption.sharedKeyHint("ctx"),
                        LocalOption.differ(LocalOption.LocalDiffer.NONE, false)))
                .getSource()
                .getAttrsMap();

        assertThat(attrs)
                .containsExactly(
                        Map.entry("local.differ", "none"),
                        Map.entry("local.excludepatterns", "[\"*.tmp\"]"),
                        Map.entry("local.followpaths", "[\"link\"]"),
                        Map.entry("local.includepattern", "[\"src/**\",\"\\u003cgo\\u003e\"]"),
                        Map.entry("local.sharedkeyhint", "ctx"));
    }

    @Test
    void aLocalGetsTheUniqueIdOnlyWithoutASession() {
        MarshalOptions withId = OPTIONS.withLocalUniqueId("client-1");

        assertThat(LlbGraph.decode(State.local("ctx").marshal(withId))
                        .vertices()
                        .getFirst()
                        .op()
                        .getSource()
                        .getAttrsMap())
                .containsEntry("local.unique", "client-1");
        assertThat(LlbGraph.decode(
                                State.local("ctx", LocalOption.sessionId("s1")).marshal(withId))
                        .vertices()
                        .getFirst()
                        .op()
                        .getSource()
                        .getAttrsMap())
                .containsEntry("local.session", "s1")
                .doesNotContainKey("local.unique");
        assertThat(op(State.local("ctx")).getSource().getAttrsMap()).isEmpty();
    }

    @Test
    void gitIdentifiersAreHostPathAndRef() {
        var https = op(State.git("https://github.com/moby/buildkit.git", "v0.12:docs/"))
                .getSource();
        var scp = op(State.git(
                        "git@github.com:moby/buildkit.git",
                        "main",
                        GitOption.knownSshHosts("github.com ssh-ed25519 AAAA\n")))
                .getSource();
        var bare = op(State.git("github.com/moby/buildkit", "")).getSource();

        assertThat(https.getIdentifier()).isEqualTo("git://github.com/moby/buildkit.git#v0.12:docs");
        assertThat(https.getAttrsMap())
                .containsEntry("git.fullurl", "https://github.com/moby/buildkit.git")
                .containsEntry("git.authtokensecret", "GIT_AUTH_TOKEN")
                .containsEntry("git.authheadersecret", "GIT_AUTH_HEADER");
        assertThat(scp.getIdentifier()).isEqualTo("git://github.com/moby/buildkit.git#main");
        assertThat(scp.getAttrsMap())
                .containsEntry("git.fullurl", "git@github.com:moby/buildkit.git")
                .containsEntry("git.mountsshsock", "default")
                .containsEntry("git.knownsshhosts", "github.com ssh-ed25519 AAAA\n");
        assertThat(bare.getIdentifier()).isEqualTo("git://github.com/moby/buildkit");
        assertThat(bare.getAttrsMap()).containsEntry("git.fullurl", "https://github.com/moby/buildkit");
        assertThat(op(State.git(
                                "https://github.com/moby/buildkit.git",
                                "main",
                                GitOption.keepGitDir(),
                                GitOption.subDir("docs"),
                                GitOption.checksum("abc123")))
                        .getSource())
                .satisfies(s -> assertThat(s.getIdentifier()).isEqualTo("git://github.com/moby/buildkit.git#main:docs"))
                .satisfies(s -> assertThat(s.getAttrsMap())
                        .containsEntry("git.keepgitdir", "true")
                        .containsEntry("git.checksum", "abc123"));
        assertThatThrownBy(() -> State.git("ftp://example.com/repo", "main")).hasMessageContaining("protocol ftp");
    }

    @Test
    void httpSourcesCarryChecksumNameAndOwnership() {
        Digest checksum = Digest.sha256("content".getBytes());
        var source = op(State.http(
                        "https://example.com/tool.tgz",
                        HttpOption.checksum(checksum),
                        HttpOption.filename("tool.tgz"),
                        HttpOption.chmod(0750),
                        HttpOption.chown(10, 20),
                        HttpOption.header("application/octet-stream", "")))
                .getSource();

        assertThat(source.getIdentifier()).isEqualTo("https://example.com/tool.tgz");
        assertThat(source.getAttrsMap())
                .containsExactly(
                        Map.entry("http.checksum", checksum.toString()),
                        Map.entry("http.filename", "tool.tgz"),
                        Map.entry("http.gid", "20"),
                        Map.entry("http.header.accept", "application/octet-stream"),
                        Map.entry("http.perm", "0750"),
                        Map.entry("http.uid", "10"));
        assertThatThrownBy(() -> State.http("ftp://example.com/x")).hasMessageContaining("http:// or https://");
    }

    @Test
    void imageOptionsBecomeAttributes() {
        Digest manifest = Digest.sha256("manifest".getBytes());
        assertThat(op(State.image(
                                "busybox",
                                ImageOption.ResolveMode.FORCE_PULL,
                                ImageOption.layerLimit(2),
                                ImageOption.checksum(manifest)))
                        .getSource()
                        .getAttrsMap())
                .containsExactly(
                        Map.entry("image.checksum", manifest.toString()),
                        Map.entry("image.layerlimit", "2"),
                        Map.entry("image.resolvemode", "pull"));
        assertThat(op(State.image("busybox", ImageOption.ResolveMode.DEFAULT))
                        .getSource()
                        .getAttrsMap())
                .isEmpty();
    }

    @Test
    void fileActionPathsAreResolvedAgainstTheWorkingDirectory() {
        State app = State.image("busybox").dir("/app");
        State context = State.local("ctx").dir("/project");

        List<FileAction> actions = op(app.file(dev.kiln.llb.FileAction.mkdir("data", 0755, MkdirOption.makeParents())
                        .mkfile("data/../conf", 0100644, "x".getBytes(StandardCharsets.UTF_8))
                        .rm("tmp/*", RmOption.allowWildcard(), RmOption.allowNotFound())
                        .copy(context, "src/", "dest/.", CopyOption.dirContentsOnly())
                        .symlink("../conf", "link")))
                .getFile()
                .getActionsList();

        assertThat(actions.get(0).getMkdir().getPath()).isEqualTo("/app/data");
        assertThat(actions.get(0).getMkdir().getMakeParents()).isTrue();
        assertThat(actions.get(1).getMkfile().getPath()).isEqualTo("/app/conf");
        assertThat(actions.get(1).getMkfile().getMode()).isEqualTo(0644);
        assertThat(actions.get(2).getRm().getPath()).isEqualTo("/app/tmp/*");
        assertThat(actions.get(2).getRm().getAllowWildcard()).isTrue();
        assertThat(actions.get(3).getCopy().getSrc()).isEqualTo("/project/src");
        assertThat(actions.get(3).getCopy().getDest()).isEqualTo("/app/dest/.");
        assertThat(actions.get(4).getSymlink().getOldpath()).isEqualTo("../conf");
        assertThat(actions.get(4).getSymlink().getNewpath()).isEqualTo("link");
        // Each action reads the one before it: inputs 0 (busybox) and 1 (ctx), then actions 0..3 as 2..5.
        assertThat(actions).extracting(FileAction::getInput).containsExactly(0L, 2L, 3L, 4L, 5L);
        assertThat(actions).extracting(FileAction::getSecondaryInput).containsExactly(-1L, -1L, -1L, 1L, -1L);
        assertThat(actions).extracting(FileAction::getOutput).containsExactly(-1L, -1L, -1L, -1L, 0L);
    }

    @Test
    void ownersAndTimestampsReachTheActions() {
        Instant when = Instant.parse("2024-01-02T03:04:05.000000006Z");
        List<FileAction> actions = op(State.image("busybox")
                        .file(dev.kiln.llb.FileAction.mkdir("/d", 0700, Owner.parse("app"), CreatedAt.of(when))
                                .mkfile("/f", 0600, new byte[0], Owner.ids(1, 2))
                                .copy(State.scratch(), "/", "/e", CopyOption.mode("u+x"), Owner.parse("root:staff"))))
                .getFile()
                .getActionsList();

        var mkdir = actions.get(0).getMkdir();
        assertThat(mkdir.getOwner().getUser().getByName().getName()).isEqualTo("app");
        assertThat(mkdir.getOwner().getUser().getByName().getInput()).isZero();
        assertThat(mkdir.getOwner().hasGroup()).isFalse();
        assertThat(mkdir.getTimestamp()).isEqualTo(1704164645_000000006L);
        assertThat(actions.get(1).getMkfile().getOwner().getGroup().getByID()).isEqualTo(2);
        assertThat(actions.get(1).getMkfile().getTimestamp()).isEqualTo(-1);
        var copy = actions.get(2).getCopy();
        assertThat(copy.getModeStr()).isEqualTo("u+x");
        assertThat(copy.getMode()).isZero();
        assertThat(copy.getOwner().getUser().getByID()).isZero();
        assertThat(copy.getOwner().getGroup().getByName().getName()).isEqualTo("staff");
        assertThat(actions.get(2).getSecondaryInput()).isEqualTo(-1);
    }

    @Test
    void mergeAndDiffSimplifyScratch() {
        State a = State.image("busybox");
        State b = State.local("ctx");

        assertThat(State.merge(List.of(State.scratch(), State.scratch())).isScratch())
                .isTrue();
        assertThat(State.merge(List.of(State.scratch(), a))).isSameAs(a);
        assertThat(State.diff(State.scratch(), b)).isSameAs(b);
        assertThat(op(State.merge(List.of(a, State.scratch(), b))).getMerge().getInputsCount())
                .isEqualTo(2);
        assertThat(op(State.diff(a, State.scratch())).getDiff().getUpper().getInput())
                .isEqualTo(-1);
        assertThat(op(State.diff(a, b)).getDiff().getUpper().getInput()).isEqualTo(1);
    }

    @Test
    void metadataAndSourceLocationsTravelBesideTheOps() {
        SourceMap dockerfile = new SourceMap("Dockerfile", "Dockerfile", "FROM busybox\nRUN true\n".getBytes());
        State step = State.image("busybox", dockerfile.location(SourceRange.lines(1, 1)))
                .run(
                        RunOption.args("true"),
                        OpOption.customName("RUN true"),
                        OpOption.ignoreCache(),
                        OpOption.progressGroup("g", "stage", false),
                        dockerfile.location(SourceRange.lines(2, 2)))
                .root();

        Definition definition = step.marshal(OPTIONS);
        LlbGraph graph = LlbGraph.decode(definition);
        LlbVertex run = graph.output().orElseThrow().vertex();

        assertThat(run.name()).isEqualTo("RUN true");
        assertThat(run.ignoreCache()).isTrue();
        assertThat(run.metadata().getProgressGroup().getName()).isEqualTo("stage");
        assertThat(run.metadata().getCapsMap()).containsKeys("exec.meta.base");
        String terminal = Digest.sha256(
                        definition.getDef(definition.getDefCount() - 1).asReadOnlyByteBuffer())
                .toString();
        assertThat(definition.getMetadataOrThrow(terminal).getCapsMap())
                .containsOnlyKeys("constraints", "platform", "meta.ignorecache", "meta.description");
        assertThat(definition.getSource().getInfosList())
                .singleElement()
                .satisfies(info -> assertThat(info.getFilename()).isEqualTo("Dockerfile"));
        var locations = definition
                .getSource()
                .getLocationsOrThrow(run.digest().toString())
                .getLocations(0);
        assertThat(locations.getSourceIndex()).isZero();
        assertThat(locations.getRanges(0).getStart().getLine()).isEqualTo(2);
        assertThat(definition.getSource().getLocationsMap()).hasSize(2);
    }

    @Test
    void equalOpsFromDifferentStatesAreOneEntry() {
        State left = State.image("busybox").run(RunOption.args("a")).root();
        State right = State.image("busybox").run(RunOption.args("b")).root();

        Definition merged = State.merge(List.of(left, right)).marshal(OPTIONS);

        assertThat(merged.getDefCount()).isEqualTo(5); // busybox once, two execs, merge, terminal
    }

    @Test
    void anImageWithAnInvalidReferenceSaysWhy() {
        assertThatThrownBy(() -> State.image("no spaces allowed"))
                .hasMessageContaining("invalid image reference \"no spaces allowed\"");
    }
}
