package dev.kiln.dockerfile.convert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.core.Platform;
import dev.kiln.dockerfile.DockerfileException;
import dev.kiln.dockerfile.parser.DockerfileParser;
import dev.kiln.dockerfile.parser.ParsedDockerfile;
import dev.kiln.llb.LlbGraph;
import dev.kiln.llb.LlbVertex;
import dev.kiln.llb.MarshalOptions;
import dev.kiln.llb.OpKind;
import dev.kiln.llb.SourceMap;
import dev.kiln.llb.State;
import dev.kiln.llb.pb.ExecOp;
import dev.kiln.llb.pb.FileActionCopy;
import dev.kiln.llb.pb.Mount;
import dev.kiln.llb.pb.MountType;
import dev.kiln.llb.pb.NetMode;
import dev.kiln.llb.pb.SecurityMode;
import dev.kiln.llb.pb.SourceOp;
import dev.kiln.oci.History;
import dev.kiln.oci.ImageConfig;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The LLB a Dockerfile converts to, checked op by op: what the engine cannot run yet (secrets, SSH agents, git
 * and http sources, registry images) is still emitted as BuildKit would emit it.
 */
class ConverterTest {

    private static final Platform AMD64 = Platform.of("linux", "amd64");
    private static final String DIGEST = "sha256:" + "ab".repeat(32);

    /** Sources without I/O: a context local, and image configs given by the test. */
    private static final class FakeSources implements ConvertSources {
        final Map<String, String> configs = new LinkedHashMap<>();
        final List<String> resolved = new ArrayList<>();

        @Override
        public Optional<NamedContext> namedContext(String name, Platform platform) {
            return Optional.empty();
        }

        @Override
        public ResolvedImage resolveImageConfig(String reference, Platform platform, String logName) {
            resolved.add(reference);
            String config = configs.get(reference);
            if (config == null) {
                throw new IllegalStateException("no such image " + reference);
            }
            return new ResolvedImage(reference, DIGEST, config.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public State mainContext(List<String> followPaths) {
            return State.local("context");
        }
    }

    private final FakeSources sources = new FakeSources();

    private DockerfileConverter.Result convert(String dockerfile, ConvertOptions options) throws InterruptedException {
        byte[] data = dockerfile.getBytes(StandardCharsets.UTF_8);
        ParsedDockerfile parsed = DockerfileParser.parse("Dockerfile", data);
        return DockerfileConverter.convert(
                parsed, options, sources, new SourceMap("Dockerfile", "Dockerfile", data), "");
    }

    private DockerfileConverter.Result convert(String dockerfile) throws InterruptedException {
        return convert(dockerfile, ConvertOptions.forPlatform(AMD64));
    }

    private static LlbGraph graph(DockerfileConverter.Result result) {
        return LlbGraph.decode(
                result.state().marshal(MarshalOptions.defaults().withDefaultPlatform(result.platform())));
    }

    private static List<LlbVertex> ops(LlbGraph graph, OpKind kind) {
        return graph.vertices().stream().filter(v -> v.kind() == kind).toList();
    }

    private static ExecOp exec(LlbGraph graph, String argContains) {
        return ops(graph, OpKind.EXEC).stream()
                .map(v -> v.op().getExec())
                .filter(e -> String.join(" ", e.getMeta().getArgsList()).contains(argContains))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no exec op running " + argContains));
    }

    /** The exec op's first mount of this type. */
    private static Mount mount(ExecOp exec, MountType type) {
        return exec.getMountsList().stream()
                .filter(m -> m.getMountType() == type)
                .findFirst()
                .orElseThrow(() -> new AssertionError(
                        "no " + type + " mount in " + exec.getMeta().getArgsList()));
    }

    private static final String BASE_CONFIG = """
            {"architecture":"amd64","os":"linux",
             "config":{"Env":["PATH=/custom/bin:/bin","LANG=C.UTF-8"],"User":"app","WorkingDir":"/home/app",
                       "Cmd":["/bin/app"],"Entrypoint":["/entry"],"OnBuild":["RUN echo from-onbuild"],
                       "Labels":{"from":"base"}},
             "rootfs":{"type":"layers","diff_ids":["sha256:%s"]},
             "history":[{"created_by":"base layer"}]}
            """.formatted("cd".repeat(32));

    @Test
    void fromImageStartsFromItsConfig() throws Exception {
        sources.configs.put("docker.io/library/alpine:3.20", BASE_CONFIG);
        DockerfileConverter.Result result = convert("""
                FROM alpine:3.20
                RUN echo $LANG
                """);
        LlbGraph graph = graph(result);
        SourceOp image = ops(graph, OpKind.SOURCE).getFirst().op().getSource();
        assertThat(image.getIdentifier()).isEqualTo("docker-image://docker.io/library/alpine:3.20@" + DIGEST);
        ExecOp run = exec(graph, "echo $LANG");
        assertThat(run.getMeta().getEnvList()).containsExactly("PATH=/custom/bin:/bin", "LANG=C.UTF-8");
        assertThat(run.getMeta().getUser()).isEqualTo("app");
        assertThat(run.getMeta().getCwd()).isEqualTo("/home/app");
        assertThat(exec(graph, "echo from-onbuild")).isNotNull();
        ImageConfig config = result.image();
        assertThat(config.config().cmd()).containsExactly("/bin/app");
        assertThat(config.config().entrypoint()).containsExactly("/entry");
        assertThat(config.config().onBuild()).isEmpty();
        assertThat(config.config().user()).isEqualTo("app");
        assertThat(config.history())
                .extracting(History::createdBy)
                .containsExactly(
                        "base layer",
                        "RUN /bin/sh -c echo from-onbuild # buildkit",
                        "RUN /bin/sh -c echo $LANG # buildkit");
        assertThat(new String(config.toDockerOciImageJson(), StandardCharsets.UTF_8))
                .contains("\"diff_ids\":[\"sha256:cdcd");
        assertThat(result.baseImage().config().onBuild()).containsExactly("RUN echo from-onbuild");
        assertThat(graph.vertices())
                .anyMatch(v -> v.name().equals("[1/2] FROM docker.io/library/alpine:3.20@" + DIGEST));
    }

    /**
     * The config the frontend hands on ({@code containerimage.config}) is the JSON BuildKit's frontend writes: Go's
     * order for its DockerOCIImage struct (config last), Go's escapes, the base image's fields Go's structs do not
     * have dropped, base history times in Go's form, and layers of a scratch stage not listed (null).
     */
    @Test
    void imageConfigIsWrittenAsBuildKitWritesIt() throws Exception {
        sources.configs.put("docker.io/library/alpine:3.20", """
                {"architecture":"amd64","os":"linux","created":"2024-03-01T12:30:45Z","docker_version":"24.0.7",
                 "config":{"Hostname":"abc","Env":["PATH=/bin","LANG=C"],"Labels":{"z":"<&>"}},
                 "rootfs":{"type":"layers","diff_ids":["sha256:%s"]},
                 "history":[{"created":"2024-03-01T12:00:00.500Z","created_by":"ADD rootfs.tar /","future":1}]}
                """.formatted("cd".repeat(32)));
        DockerfileConverter.Result result = convert("""
                FROM alpine:3.20
                ENV LANG=C.UTF-8 NEW="a & b"
                HEALTHCHECK --interval=30s CMD test -f /ok
                RUN echo x > /x
                """);
        String base = "{'architecture':'amd64','os':'linux','rootfs':{'type':'layers','diff_ids':['sha256:"
                + "cd".repeat(32) + "']},"
                + "'history':[{'created':'2024-03-01T12:00:00.5Z','created_by':'ADD rootfs.tar /'}";
        assertThat(json(result.image()))
                .isEqualTo(quoted(base
                        + ",{'created_by':'ENV LANG=C.UTF-8 NEW=a \\u0026 b','comment':'buildkit.dockerfile.v0',"
                        + "'empty_layer':true},"
                        + "{'created_by':'HEALTHCHECK {Test:[CMD-SHELL test -f /ok] Interval:30s Timeout:0s StartPeriod:0s "
                        + "StartInterval:0s Retries:0}','comment':'buildkit.dockerfile.v0','empty_layer':true},"
                        + "{'created_by':'RUN /bin/sh -c echo x \\u003e /x # buildkit','comment':'buildkit.dockerfile.v0'}],"
                        + "'config':{'Env':['PATH=/bin','LANG=C.UTF-8','NEW=a \\u0026 b'],"
                        + "'Labels':{'z':'\\u003c\\u0026\\u003e'},"
                        + "'Healthcheck':{'Test':['CMD-SHELL','test -f /ok'],'Interval':30000000000}}}"));
        assertThat(json(result.baseImage()))
                .isEqualTo(quoted(
                        base + "],'config':{'Env':['PATH=/bin','LANG=C'],'Labels':{'z':'\\u003c\\u0026\\u003e'}}}"));

        DockerfileConverter.Result scratch = convert("FROM scratch\nUSER 1000\n");
        assertThat(json(scratch.image()))
                .isEqualTo(quoted("{'architecture':'amd64','os':'linux','rootfs':{'type':'layers','diff_ids':null},"
                        + "'history':[{'created_by':'USER 1000','comment':'buildkit.dockerfile.v0','empty_layer':true}],"
                        + "'config':{'User':'1000','Env':['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],"
                        + "'WorkingDir':'/'}}"));
    }

    private static String json(ImageConfig config) {
        return new String(config.toDockerOciImageJson(), StandardCharsets.UTF_8);
    }

    /** JSON written with ' for ", so that an expected document reads as JSON in the source. */
    private static String quoted(String json) {
        return json.replace('\'', '"');
    }

    /** As BuildKit's frontend (Go's decoder) does, a base config that names no platform is used, not refused. */
    @Test
    void baseConfigWithoutPlatformIsUsed() throws Exception {
        sources.configs.put("docker.io/library/bare:latest", """
                {"config":{"User":"app"},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}
                """.formatted("cd".repeat(32)));
        DockerfileConverter.Result result = convert("FROM bare\nRUN id\n");
        assertThat(exec(graph(result), "id").getMeta().getUser()).isEqualTo("app");
        assertThat(result.image().config().user()).isEqualTo("app");
    }

    @Test
    void imageWithoutLayersIsScratch() throws Exception {
        sources.configs.put("docker.io/library/empty:latest", """
                {"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers"}}
                """);
        DockerfileConverter.Result result = convert("FROM empty\nCOPY <<EOF /x\nx\nEOF\n");
        assertThat(ops(graph(result), OpKind.SOURCE))
                .noneMatch(v -> v.op().getSource().getIdentifier().startsWith("docker-image://"));
    }

    @Test
    void imageLookupFailureNamesTheImageAndLine() {
        assertThatThrownBy(() -> convert("FROM scratch\nFROM busybx\n"))
                .isInstanceOfSatisfying(DockerfileException.class, e -> {
                    assertThat(e.line()).isEqualTo(2);
                    assertThat(e.reason())
                            .startsWith("busybx: no such image docker.io/library/busybx:latest")
                            .endsWith("(did you mean busybox?)");
                });
    }

    @Test
    void secretMountsAreFilesOrVariables() throws Exception {
        LlbGraph graph = graph(convert("""
                FROM scratch
                RUN --mount=type=secret,id=token,required,mode=0440,uid=1000,gid=1000 cat /run/secrets/token
                RUN --mount=type=secret,id=npm,target=/root/.npmrc cat /root/.npmrc
                RUN --mount=type=secret,id=api,env=API_KEY echo $API_KEY
                """));
        Mount token = mount(exec(graph, "/run/secrets/token"), MountType.SECRET);
        assertThat(token.getDest()).isEqualTo("/run/secrets/token");
        assertThat(token.getSecretOpt().getID()).isEqualTo("token");
        assertThat(token.getSecretOpt().getOptional()).isFalse();
        assertThat(token.getSecretOpt().getMode()).isEqualTo(0440);
        assertThat(token.getSecretOpt().getUid()).isEqualTo(1000);
        Mount npm = mount(exec(graph, ".npmrc"), MountType.SECRET);
        assertThat(npm.getDest()).isEqualTo("/root/.npmrc");
        assertThat(npm.getSecretOpt().getOptional()).isTrue();
        assertThat(npm.getSecretOpt().getMode()).isEqualTo(0400);
        ExecOp api = exec(graph, "$API_KEY");
        assertThat(api.getSecretenvList()).singleElement().satisfies(s -> {
            assertThat(s.getID()).isEqualTo("api");
            assertThat(s.getName()).isEqualTo("API_KEY");
        });
    }

    @Test
    void secretValuesAreMaskedInStepNames() throws Exception {
        LlbGraph graph = graph(convert("""
                FROM scratch
                ENV API_KEY=visible
                RUN --mount=type=secret,id=api,env=API_KEY echo $API_KEY
                """));
        assertThat(graph.vertices()).anyMatch(v -> v.name().contains("echo ****"));
    }

    @Test
    void sshMountsForwardAnAgent() throws Exception {
        LlbGraph graph = graph(convert("""
                FROM scratch
                RUN --mount=type=ssh,id=github,target=/ssh.sock,required ssh-add -l
                RUN --mount=type=ssh ssh-add -L
                """));
        Mount named = mount(exec(graph, "ssh-add -l"), MountType.SSH);
        assertThat(named.getDest()).isEqualTo("/ssh.sock");
        assertThat(named.getSSHOpt().getID()).isEqualTo("github");
        assertThat(named.getSSHOpt().getOptional()).isFalse();
        assertThat(named.getSSHOpt().getMode()).isEqualTo(0600);
        ExecOp defaults = exec(graph, "ssh-add -L");
        assertThat(defaults.getMeta().getEnvList()).contains("SSH_AUTH_SOCK=/run/buildkit/ssh_agent.0");
        assertThat(defaults.getMountsList())
                .anyMatch(m -> m.getMountType() == MountType.SSH
                        && m.getSSHOpt().getOptional()
                        && m.getDest().equals("/run/buildkit/ssh_agent.0"));
    }

    @Test
    void networkAndSecurityFlags() throws Exception {
        LlbGraph graph = graph(convert("""
                FROM scratch
                RUN --network=host --security=insecure echo host
                RUN --network=none echo none
                RUN echo default
                """));
        assertThat(exec(graph, "echo host").getNetwork()).isEqualTo(NetMode.HOST);
        assertThat(exec(graph, "echo host").getSecurity()).isEqualTo(SecurityMode.INSECURE);
        assertThat(exec(graph, "echo none").getNetwork()).isEqualTo(NetMode.NONE);
        assertThat(exec(graph, "echo default").getNetwork()).isEqualTo(NetMode.UNSET);
        assertThat(exec(graph, "echo default").getSecurity()).isEqualTo(SecurityMode.SANDBOX);
    }

    @Test
    void addDownloadsUrlsWithChecksum() throws Exception {
        LlbGraph graph = graph(convert("""
                FROM scratch
                ADD --checksum=%s https://example.com/files/tool.tar.gz /opt/
                ADD https://example.com/ /index/
                """.formatted(DIGEST)));
        List<SourceOp> http = ops(graph, OpKind.SOURCE).stream()
                .map(v -> v.op().getSource())
                .filter(s -> s.getIdentifier().startsWith("https://"))
                .toList();
        assertThat(http).hasSize(2);
        SourceOp tool = http.stream()
                .filter(s -> s.getIdentifier().endsWith("tool.tar.gz"))
                .findFirst()
                .orElseThrow();
        assertThat(tool.getAttrsMap())
                .containsEntry("http.checksum", DIGEST)
                .containsEntry("http.filename", "tool.tar.gz");
        SourceOp index = http.stream()
                .filter(s -> s.getIdentifier().equals("https://example.com/"))
                .findFirst()
                .orElseThrow();
        assertThat(index.getAttrsMap()).containsEntry("http.filename", "__unnamed__");
        FileActionCopy copy = ops(graph, OpKind.FILE).stream()
                .flatMap(v -> v.op().getFile().getActionsList().stream())
                .filter(a -> a.hasCopy() && a.getCopy().getSrc().equals("/tool.tar.gz"))
                .findFirst()
                .orElseThrow()
                .getCopy();
        assertThat(copy.getAttemptUnpackDockerCompatibility()).isFalse();
        assertThat(copy.getDest()).isEqualTo("/opt/");
    }

    @Test
    void addClonesGitRepositories() throws Exception {
        LlbGraph graph = graph(convert("""
                FROM scratch
                ADD --keep-git-dir=true https://github.com/moby/buildkit.git#v0.12.0:docs /docs
                ADD git@github.com:moby/buildkit.git?ref=main&subdir=frontend /frontend
                """));
        List<SourceOp> git = ops(graph, OpKind.SOURCE).stream()
                .map(v -> v.op().getSource())
                .filter(s -> s.getIdentifier().startsWith("git://"))
                .toList();
        assertThat(git)
                .extracting(SourceOp::getIdentifier)
                .containsExactlyInAnyOrder(
                        "git://github.com/moby/buildkit.git#v0.12.0:docs",
                        "git://github.com/moby/buildkit.git#main:frontend");
        SourceOp docs = git.stream()
                .filter(s -> s.getIdentifier().contains("docs"))
                .findFirst()
                .orElseThrow();
        assertThat(docs.getAttrsMap())
                .containsEntry("git.keepgitdir", "true")
                .containsEntry("git.fullurl", "https://github.com/moby/buildkit.git");
    }

    @Test
    void copyKeepsSymbolicChmodForTheWorker() throws Exception {
        LlbGraph graph = graph(convert("FROM scratch\nCOPY --chmod=u+x,go-w run.sh /\n"));
        FileActionCopy copy =
                ops(graph, OpKind.FILE).getFirst().op().getFile().getActions(0).getCopy();
        assertThat(copy.getModeStr()).isEqualTo("u+x,go-w");
    }

    @Test
    void stepsAreNamedAndLocatedLikeBuildKitsAndDescribed() throws Exception {
        DockerfileConverter.Result result = convert("""
                FROM scratch AS build
                WORKDIR /src
                COPY . .
                RUN make \\
                    all
                FROM scratch
                COPY --from=build /src/out /out
                """);
        LlbGraph graph = graph(result);
        LlbVertex run = ops(graph, OpKind.EXEC).getFirst();
        assertThat(run.name()).isEqualTo("[build 3/3] RUN make     all");
        assertThat(run.metadata().getDescriptionMap())
                .containsEntry("com.docker.dockerfile.v1.command", "RUN make     all");
        assertThat(graph.source().getInfosList())
                .singleElement()
                .satisfies(info -> assertThat(info.getFilename()).isEqualTo("Dockerfile"));
        assertThat(graph.source().getLocationsMap().get(run.digest().toString()).getLocationsList())
                .singleElement()
                .satisfies(location -> assertThat(location.getRangesList())
                        .extracting(r -> r.getStart().getLine())
                        .containsExactly(4, 5));
        assertThat(graph.vertices()).anyMatch(v -> v.name().equals("[stage-1 1/1] COPY --from=build /src/out /out"));
    }

    @Test
    void onlyTheStagesTheTargetNeedsAreInTheGraph() throws Exception {
        LlbGraph graph = graph(convert("""
                FROM scratch AS unused
                RUN echo never
                FROM scratch AS dep
                RUN echo needed
                FROM scratch AS other
                RUN echo other
                FROM scratch
                COPY --from=dep /x /x
                """));
        assertThat(ops(graph, OpKind.EXEC)).extracting(LlbVertex::name).containsExactly("[dep 1/1] RUN echo needed");
    }

    @Test
    void noCacheMarksTheStagesSteps() throws Exception {
        ConvertOptions noCache =
                ConvertOptions.forPlatform(AMD64, Map.of(), java.util.Set.of("fresh"), java.util.Set.of("mergeop"));
        LlbGraph graph = graph(convert("""
                FROM scratch AS fresh
                RUN echo fresh
                FROM fresh
                RUN echo cached
                """, noCache));
        assertThat(ops(graph, OpKind.EXEC))
                .filteredOn(v -> v.name().contains("echo fresh"))
                .allMatch(LlbVertex::ignoreCache);
        assertThat(ops(graph, OpKind.EXEC))
                .filteredOn(v -> v.name().contains("echo cached"))
                .noneMatch(LlbVertex::ignoreCache);
    }

    @Test
    void proxyBuildArgsReachRunWithoutAnArg() throws Exception {
        ConvertOptions proxy =
                ConvertOptions.forPlatform(AMD64, Map.of("HTTPS_PROXY", "http://proxy:3128"), null, java.util.Set.of());
        DockerfileConverter.Result result = convert("FROM scratch\nRUN echo\n", proxy);
        // as BuildKit does: the op's ProxyEnv, not its env, so that the worker sets both spellings
        ExecOp exec = exec(graph(result), "echo");
        assertThat(exec.getMeta().getProxyEnv().getHttpsProxy()).isEqualTo("http://proxy:3128");
        assertThat(exec.getMeta().getProxyEnv().getHttpProxy()).isEmpty();
        assertThat(exec.getMeta().getEnvList())
                .noneMatch(e -> e.toLowerCase(java.util.Locale.ROOT).contains("proxy"));
        assertThat(result.image().config().env()).noneMatch(e -> e.startsWith("HTTPS_PROXY"));
    }

    @Test
    void targetPlatformSetsArgsAndConfig() throws Exception {
        DockerfileConverter.Result result =
                convert("""
                FROM --platform=$BUILDPLATFORM scratch AS tools
                FROM scratch
                ARG TARGETPLATFORM TARGETARCH BUILDARCH
                LABEL target=$TARGETPLATFORM arch=$TARGETARCH build=$BUILDARCH
                """, ConvertOptions.forPlatform(AMD64).withTargetPlatform(Platform.parse("linux/arm64")));
        String json = new String(result.image().toDockerOciImageJson(), StandardCharsets.UTF_8);
        assertThat(json)
                .contains("\"architecture\":\"arm64\"")
                .contains("\"target\":\"linux/arm64\"", "\"arch\":\"arm64\"", "\"build\":\"amd64\"");
        assertThat(result.warnings()).extracting(w -> w.rule()).doesNotContain(LintRule.UNDEFINED_VAR);
    }

    @Test
    void warningsCarryTheirLines() throws Exception {
        DockerfileConverter.Result result = convert("""
                FROM scratch
                MAINTAINER me
                CMD echo hi
                """);
        assertThat(result.warnings())
                .extracting(Linter.Warning::formatted)
                .containsExactly(
                        "MaintainerDeprecated: Maintainer instruction is deprecated in favor of using label (line 2)",
                        "JSONArgsRecommended: JSON arguments recommended for CMD to prevent unintended behavior related to OS "
                                + "signals (line 3)");
    }

    @Test
    void contextIsOnlyAskedForWhatTheBuildReads() throws Exception {
        DockerfileConverter.Result result = convert("""
                FROM scratch
                COPY package.json /app/
                COPY src/ /app/src/
                """);
        assertThat(result.contextPaths()).containsExactly("/package.json", "/src");
        assertThat(DockerfileConverter.followPaths(result.contextPaths())).containsExactly("package.json", "src");
        DockerfileConverter.Result noContext = convert("FROM scratch\nCOPY <<EOF /x\nx\nEOF\n");
        assertThat(noContext.contextPaths()).isEmpty();
    }

    /** Stage sN copies from sN-1, so the stages' dependencies (and the LLB) are a chain {@code stages} long. */
    private static String copyChain(int stages) {
        StringBuilder dockerfile = new StringBuilder("FROM scratch AS s0\nCOPY <<EOF /bottom\nbottom\nEOF\n");
        for (int i = 1; i < stages; i++) {
            dockerfile
                    .append("FROM scratch AS s")
                    .append(i)
                    .append('\n')
                    .append("COPY --from=s")
                    .append(i - 1)
                    .append(" / /\n");
        }
        return dockerfile.toString();
    }

    @Test
    void chainOfTenThousandStagesCopyingFromEachOtherConverts() throws Exception {
        DockerfileConverter.Result result = convert(copyChain(10_000));

        LlbGraph graph = graph(result);
        assertThat(ops(graph, OpKind.FILE))
                .filteredOn(v -> v.name().contains("COPY --from=s"))
                .hasSize(9_999);
        assertThat(graph.output().orElseThrow().vertex().name()).isEqualTo("[s9999 1/1] COPY --from=s9998 / /");
    }

    /** The first stage copies from the last: the walk that finds the cycle goes through every stage. */
    @Test
    void cycleThroughTenThousandStagesIsOneError() {
        String dockerfile = copyChain(10_000).replace("COPY <<EOF /bottom\nbottom\nEOF\n", "COPY --from=s9999 / /\n");

        assertThatThrownBy(() -> convert(dockerfile)).isInstanceOfSatisfying(DockerfileException.class, e -> {
            assertThat(e).hasMessage("circular dependency detected on stage: s0");
            assertThat(e.line()).isEqualTo(2);
        });
    }
}
