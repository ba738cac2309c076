package dev.kiln.llb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.kiln.core.Digest;
import dev.kiln.llb.pb.BuildInput;
import dev.kiln.llb.pb.BuildOp;
import dev.kiln.llb.pb.Definition;
import dev.kiln.llb.pb.ExecOp;
import dev.kiln.llb.pb.Input;
import dev.kiln.llb.pb.Meta;
import dev.kiln.llb.pb.Op;
import dev.kiln.llb.pb.OpMetadata;
import dev.kiln.llb.pb.PassthroughOp;
import dev.kiln.llb.pb.Source;
import dev.kiln.llb.pb.SourceOp;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;

class LlbGraphTest {

    private static final MarshalOptions OPTIONS = GoldenDigestTest.LINUX_AMD64_U1;

    /** A graph with a source of each kind, an exec with a second output, a file op, a diff and a merge. */
    static State everyKind() {
        SourceMap dockerfile = new SourceMap("Dockerfile", "Dockerfile", "FROM busybox\nRUN make\n".getBytes());
        State base = State.image("busybox");
        ExecState built = base.run(
                RunOption.sh("make"),
                RunOption.mount("/src", Mount.bind(State.local("ctx")).asReadonly()),
                RunOption.mount("/out", Mount.bind(State.scratch())),
                dockerfile.location(SourceRange.lines(2, 2)),
                OpOption.customName("RUN make"));
        State files = built.root()
                .file(FileAction.mkdir("/x", 0755)
                        .copy(State.git("https://example.com/repo.git", "main"), "/", "/x/git")
                        .copy(State.http("https://example.com/f", HttpOption.filename("f")), "f", "/x/f"));
        return State.merge(List.of(base, State.diff(base, files), built.mount("/out")));
    }

    static Definition definition(Op... ops) {
        Definition.Builder definition = Definition.newBuilder();
        for (Op op : ops) {
            definition.addDef(ByteString.copyFrom(Ops.marshal(op)));
        }
        return definition.build();
    }

    static Op terminal(Op output, long index) {
        return Op.newBuilder()
                .addInputs(Input.newBuilder()
                        .setDigest(Ops.digest(output).toString())
                        .setIndex(index))
                .build();
    }

    static Op source(String identifier) {
        return Op.newBuilder()
                .setSource(SourceOp.newBuilder().setIdentifier(identifier))
                .build();
    }

    static Op exec(Op root) {
        return Op.newBuilder()
                .addInputs(Input.newBuilder().setDigest(Ops.digest(root).toString()))
                .setExec(ExecOp.newBuilder()
                        .setMeta(Meta.newBuilder().addArgs("true").setCwd("/"))
                        .addMounts(dev.kiln.llb.pb.Mount.newBuilder().setDest("/")))
                .build();
    }

    @Test
    void decodingAnEncodedGraphGivesTheSameGraph() {
        Definition definition = everyKind().marshal(OPTIONS);

        LlbGraph graph = LlbGraph.decode(definition);

        assertThat(graph.vertices())
                .extracting(LlbVertex::kind)
                .contains(OpKind.SOURCE, OpKind.EXEC, OpKind.FILE, OpKind.DIFF, OpKind.MERGE);
        assertThat(LlbGraph.decode(graph.encode())).isEqualTo(graph);
        assertThat(LlbGraph.decode(definition.toByteArray())).isEqualTo(graph);
        // The ops keep their bytes, hence their digests, through decode and encode.
        assertThat(graph.encode().getDefList()).isEqualTo(definition.getDefList());
        assertThat(graph.source().getInfos(0).getFilename()).isEqualTo("Dockerfile");
    }

    @Test
    void buildAndPassthroughOpsRoundTripToo() {
        Op image = source("docker-image://docker.io/library/busybox:latest");
        Op build = Op.newBuilder()
                .addInputs(Input.newBuilder().setDigest(Ops.digest(image).toString()))
                .setBuild(BuildOp.newBuilder()
                        .putInputs(
                                "context", BuildInput.newBuilder().setInput(0).build())
                        .putAttrs("llbbuild.filename", "def.pb"))
                .build();
        Op passthrough = Op.newBuilder()
                .addInputs(Input.newBuilder().setDigest(Ops.digest(build).toString()))
                .addInputs(Input.newBuilder().setDigest(Ops.digest(image).toString()))
                .setPassthrough(
                        PassthroughOp.newBuilder().setId("deps").addOutputs(0).addOutputs(1))
                .build();
        Definition definition = definition(image, build, passthrough, terminal(passthrough, 1)).toBuilder()
                .putMetadata(
                        Ops.digest(build).toString(),
                        OpMetadata.newBuilder().setIgnoreCache(true).build())
                .build();

        LlbGraph graph = LlbGraph.decode(definition);

        assertThat(graph.vertices())
                .extracting(LlbVertex::kind)
                .containsExactly(OpKind.SOURCE, OpKind.BUILD, OpKind.PASSTHROUGH);
        assertThat(graph.output())
                .hasValueSatisfying(edge -> assertThat(edge.index()).isEqualTo(1));
        assertThat(graph.vertex(Ops.digest(build)))
                .hasValueSatisfying(v -> assertThat(v.ignoreCache()).isTrue());
        assertThat(LlbGraph.decode(graph.encode())).isEqualTo(graph);
    }

    @Test
    void verticesComeAfterTheirInputsWhateverTheDefinitionOrder() {
        Definition marshalled = everyKind().marshal(OPTIONS);
        List<ByteString> ops = new ArrayList<>(marshalled.getDefList().subList(0, marshalled.getDefCount() - 1));
        java.util.Collections.reverse(ops);
        Definition reversed = marshalled.toBuilder()
                .clearDef()
                .addAllDef(ops)
                .addDef(marshalled.getDef(marshalled.getDefCount() - 1))
                .build();

        LlbGraph graph = LlbGraph.decode(reversed);

        Set<Digest> seen = new HashSet<>();
        for (LlbVertex vertex : graph.vertices()) {
            assertThat(vertex.inputs())
                    .allSatisfy(edge -> assertThat(seen).contains(edge.vertex().digest()));
            seen.add(vertex.digest());
        }
        assertThat(graph.vertices()).hasSize(ops.size());
    }

    @Test
    void emptyDefinitionIsScratch() {
        LlbGraph graph = LlbGraph.decode(State.scratch().marshal(OPTIONS));

        assertThat(graph.vertices()).isEmpty();
        assertThat(graph.output()).isEmpty();
        assertThat(graph.encode()).isEqualTo(Definition.getDefaultInstance());
    }

    @Test
    void theSameOpTwiceIsOneVertex() {
        Op image = source("docker-image://docker.io/library/busybox:latest");

        LlbGraph graph = LlbGraph.decode(definition(image, image, terminal(image, 0)));

        assertThat(graph.vertices()).hasSize(1);
    }

    @Test
    void verticesAreNamedByCustomNameOrBySummary() {
        LlbGraph graph = LlbGraph.decode(everyKind().marshal(OPTIONS));

        assertThat(graph.vertices())
                .extracting(LlbVertex::name)
                .contains(
                        "RUN make",
                        "docker-image://docker.io/library/busybox:latest",
                        "local://ctx",
                        "git://example.com/repo.git#main",
                        "mkdir /x, copy / /x/git, copy /f /x/f",
                        "diff docker-image://docker.io/library/busybox:latest -> mkdir /x, copy / /x/git, copy /f /x/f");
        assertThat(graph.vertices().getLast().name())
                .isEqualTo(
                        "merge (docker-image://docker.io/library/busybox:latest, "
                                + "diff docker-image://docker.io/library/busybox:latest -> mkdir /x, copy / /x/git, copy /f /x/f, RUN make)");
    }

    @Test
    void corruptDefinitionBytesAreRejected() {
        assertThatThrownBy(() -> LlbGraph.decode(new byte[] {0x0a, 0x05, 0x01}))
                .isInstanceOf(LlbException.class)
                .hasMessageStartingWith("definition is not a valid protobuf: ");
    }

    @Test
    void corruptOpBytesAreRejectedNamingTheOp() {
        byte[] truncated = {0x1a, 0x10, 0x0a}; // a source op whose length says 16 bytes follow; 1 does
        Definition definition =
                Definition.newBuilder().addDef(ByteString.copyFrom(truncated)).build();

        assertRejected(definition)
                .hasMessageContaining("op #0 (" + Digest.sha256(truncated) + ") is not a valid protobuf op");
    }

    @Test
    void anInputMissingFromTheDefinitionIsRejected() {
        Op image = source("docker-image://docker.io/library/busybox:latest");
        Op run = exec(image);

        assertRejected(definition(run, terminal(run, 0)))
                .hasMessage("op #0 (" + Ops.digest(run) + "): input 0 refers to " + Ops.digest(image)
                        + ", which is not in the definition");
    }

    @Test
    void anOpWithoutAKindIsRejected() {
        Op empty = Op.newBuilder()
                .setPlatform(dev.kiln.llb.pb.Platform.newBuilder().setOS("linux"))
                .build();
        Op image = source("docker-image://docker.io/library/busybox:latest");

        assertRejected(definition(empty, image, terminal(image, 0)))
                .hasMessageStartingWith("op #0 (" + Ops.digest(empty) + ") has no op kind");
    }

    @Test
    void anOutputIndexTheInputDoesNotHaveIsRejected() {
        Op image = source("docker-image://docker.io/library/busybox:latest");
        Op run = Op.newBuilder(exec(image))
                .setInputs(
                        0,
                        Input.newBuilder()
                                .setDigest(Ops.digest(image).toString())
                                .setIndex(1))
                .build();

        assertRejected(definition(image, run, terminal(run, 0)))
                .hasMessage("op #1 (" + Ops.digest(run) + "): input 0 asks for output 1 of op #0 (" + Ops.digest(image)
                        + "), a source op with outputs [0]");
        assertRejected(definition(
                        image,
                        run.toBuilder()
                                .setInputs(
                                        0,
                                        Input.newBuilder()
                                                .setDigest(Ops.digest(image).toString()))
                                .build(),
                        terminal(exec(image), 3)))
                .hasMessageContaining("input 0 asks for output 3 of op #1");
    }

    @Test
    void aMountPointingPastTheInputsIsRejected() {
        Op image = source("docker-image://docker.io/library/busybox:latest");
        Op run = exec(image).toBuilder()
                .setExec(exec(image).getExec().toBuilder()
                        .addMounts(dev.kiln.llb.pb.Mount.newBuilder()
                                .setDest("/data")
                                .setInput(4)))
                .build();

        assertRejected(definition(image, run, terminal(run, 0)))
                .hasMessage("op #1 (" + Ops.digest(run) + "): mount /data input is 4, outside the valid range [-1, 0]");
    }

    @Test
    void theLastOpMustBeTheTerminal() {
        Op image = source("docker-image://docker.io/library/busybox:latest");

        assertRejected(definition(image))
                .hasMessageContaining("op #0 (" + Ops.digest(image)
                        + ") is the last op of the definition, so it must be the terminal op")
                .hasMessageEndingWith("but it has a source body and 0 inputs");
    }

    @Test
    void aBadInputDigestIsRejectedNamingIt() {
        Op bad = Op.newBuilder()
                .addInputs(Input.newBuilder().setDigest("sha256:1234"))
                .build();

        assertRejected(definition(bad)).hasMessageContaining("input 0 has invalid digest \"sha256:1234\"");
    }

    /**
     * Two ops that name each other's digest cannot be written as real bytes: each digest would have
     * to be known before the bytes it is the hash of. The cycle check runs on parsed ops, so it is
     * fed ops with the digests such a definition would claim.
     */
    @Test
    void aCycleIsRejectedNamingItsOps() {
        Digest first = Digest.sha256("first".getBytes());
        Digest second = Digest.sha256("second".getBytes());
        Op a = execOn(second);
        Op b = execOn(first);
        Op end = Op.newBuilder()
                .addInputs(Input.newBuilder().setDigest(first.toString()))
                .build();
        List<GraphAssembly.RawOp> ops = List.of(
                new GraphAssembly.RawOp(0, first, a, a.toByteString()),
                new GraphAssembly.RawOp(1, second, b, b.toByteString()),
                new GraphAssembly.RawOp(2, Ops.digest(end), end, end.toByteString()));

        assertThatThrownBy(() -> GraphAssembly.assemble(ops, Map.of(), Source.getDefaultInstance()))
                .isInstanceOf(LlbException.class)
                .hasMessage("op #1 (" + second + ") is part of a cycle: " + first + " -> " + second + " -> " + first);
    }

    @Test
    void anOpThatIsItsOwnInputIsACycle() {
        Digest self = Digest.sha256("self".getBytes());
        Op loop = execOn(self);
        Op end = Op.newBuilder()
                .addInputs(Input.newBuilder().setDigest(self.toString()))
                .build();

        assertThatThrownBy(() -> GraphAssembly.assemble(
                        List.of(
                                new GraphAssembly.RawOp(0, self, loop, loop.toByteString()),
                                new GraphAssembly.RawOp(1, Ops.digest(end), end, end.toByteString())),
                        Map.of(),
                        Source.getDefaultInstance()))
                .isInstanceOf(LlbException.class)
                .hasMessage("op #0 (" + self + ") is part of a cycle: " + self + " -> " + self);
    }

    /** Decoding {@code definition} fails with an {@link LlbException}, whose message the caller checks. */
    private static AbstractThrowableAssert<?, ? extends Throwable> assertRejected(Definition definition) {
        return assertThatThrownBy(() -> LlbGraph.decode(definition)).isInstanceOf(LlbException.class);
    }

    private static Op execOn(Digest root) {
        return Op.newBuilder()
                .addInputs(Input.newBuilder().setDigest(root.toString()))
                .setExec(ExecOp.newBuilder()
                        .setMeta(Meta.newBuilder().addArgs("true").setCwd("/"))
                        .addMounts(dev.kiln.llb.pb.Mount.newBuilder().setDest("/")))
                .build();
    }
}
