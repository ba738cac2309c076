package dev.kiln.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.kiln.core.Digest;
import dev.kiln.llb.CopyOption;
import dev.kiln.llb.FileAction;
import dev.kiln.llb.LocalOption;
import dev.kiln.llb.RunOption;
import dev.kiln.llb.State;
import dev.kiln.llb.pb.BuildOp;
import dev.kiln.llb.pb.Definition;
import dev.kiln.llb.pb.Input;
import dev.kiln.llb.pb.Op;
import dev.kiln.llb.pb.Platform;
import dev.kiln.llb.pb.SourceOp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Definitions and contexts a build must refuse: each gives a clear error naming the problem and
 * its place, reads nothing from the host outside the context, and leaves the build cache as it was.
 */
class BadInputTest {

    @RegisterExtension
    static final EngineFixture kiln = new EngineFixture();

    static Path context;
    Set<String> cacheBefore;

    @BeforeAll
    static void open() throws Exception {
        context = kiln.context("ctx");
        Files.writeString(context.resolve("inside.txt"), "inside\n");
        Files.createSymbolicLink(context.resolve("to-shadow"), Path.of("/etc/shadow"));
        Files.createSymbolicLink(context.resolve("to-host-root"), Path.of("../../../../../../.."));
        Files.createSymbolicLink(context.resolve("relative-escape"), Path.of("../../../../../../../etc/hostname"));
        Files.createSymbolicLink(context.resolve("dangling"), Path.of("no-such-target"));
        // The inputs of the bad steps are built first: what a build records before its bad step is not the point.
        kiln.build(EngineFixture.base());
        kiln.build(State.local("ctx"));
    }

    @BeforeEach
    void rememberCache() throws Exception {
        cacheBefore = kiln.cacheFiles();
    }

    private void assertCacheUnchanged() throws Exception {
        assertThat(kiln.cacheFiles()).as("files of the build cache").isEqualTo(cacheBefore);
    }

    /** The build fails with a message naming each of {@code named}, and the build cache is as it was. */
    private void assertRefused(ThrowingCallable build, String... named) throws Exception {
        assertThatThrownBy(build).isInstanceOf(BuildException.class).hasMessageContainingAll(named);
        assertCacheUnchanged();
    }

    /** A copy from the context "ctx" onto the base. */
    private static State copyFromContext(String src, String dest, CopyOption... options) {
        return EngineFixture.base().file(FileAction.copy(State.local("ctx"), src, dest, options));
    }

    private static FrontendSpec llb(Definition definition) {
        return new FrontendSpec.Llb(definition);
    }

    @Test
    void corruptOpBytesAreRejected() throws Exception {
        Definition corrupt = Definition.newBuilder()
                .addDef(ByteString.copyFrom(new byte[] {0x0a, 0x7f, 0x01, 0x02}))
                .build();

        assertRefused(() -> kiln.run(llb(corrupt)), "invalid LLB definition", "op #0", "not a valid protobuf");
    }

    @Test
    void inputMissingFromTheDefinitionIsRejected() throws Exception {
        Definition whole = EngineFixture.base().run(RunOption.sh("true")).root().marshal();
        Definition withoutSource = whole.toBuilder()
                .clearDef()
                .addAllDef(whole.getDefList().subList(1, whole.getDefCount()))
                .build();
        String missing = Digest.sha256(whole.getDef(0).asReadOnlyByteBuffer()).toString();

        assertRefused(() -> kiln.run(llb(withoutSource)), "invalid LLB definition", missing);
    }

    @Test
    void opWithoutAKindIsRejected() throws Exception {
        Op noKind = Op.newBuilder()
                .setPlatform(Platform.newBuilder().setOS("linux").setArchitecture("amd64"))
                .build();
        Definition valid = EngineFixture.base().marshal();
        Definition withNoKind = valid.toBuilder()
                .clearDef()
                .addDef(noKind.toByteString())
                .addAllDef(valid.getDefList())
                .build();

        assertRefused(() -> kiln.run(llb(withNoKind)), "op #0", "has no op kind");
    }

    /** A definition whose only op is {@code op}: the op, then the terminal op that takes it as its input. */
    private static Definition definitionOf(Op op) {
        return Definition.newBuilder()
                .addDef(op.toByteString())
                .addDef(Op.newBuilder()
                        .addInputs(Input.newBuilder()
                                .setDigest(Digest.sha256(op.toByteString().asReadOnlyByteBuffer())
                                        .toString()))
                        .build()
                        .toByteString())
                .build();
    }

    @Test
    void unknownSourceSchemeIsAnErrorNamingIt() throws Exception {
        Op source = Op.newBuilder()
                .setSource(SourceOp.newBuilder().setIdentifier("nonsense://thing"))
                .build();
        Definition definition = definitionOf(source);

        assertRefused(() -> kiln.run(llb(definition)), "nonsense://thing", "unknown source type \"nonsense\"");
    }

    @Test
    void opKindThisWorkerCannotRunIsAnErrorNamingIt() throws Exception {
        Op build = Op.newBuilder()
                .setBuild(BuildOp.newBuilder().putAttrs("llb.definitionfilename", "inner.pb"))
                .build();
        Definition definition = definitionOf(build);

        assertRefused(() -> kiln.run(llb(definition)), "nested build ops are not supported");
    }

    @Test
    void localSourceWithoutADirectoryIsAnErrorNamingIt() throws Exception {
        State state = EngineFixture.base().file(FileAction.copy(State.local("never-given"), "/", "/ctx/"));

        assertRefused(() -> kiln.build(state), "local source 'never-given' was not given a directory");
    }

    @Test
    void localSourceWhoseDirectoryIsMissingIsAnErrorNamingIt() throws Exception {
        kiln.locals.put("vanished", kiln.dir.resolve("no-such-directory"));
        try {
            assertThatThrownBy(() -> kiln.build(State.local("vanished")))
                    .isInstanceOf(BuildException.class)
                    .hasMessageContaining("local source 'vanished'")
                    .hasMessageContaining("no-such-directory")
                    .hasMessageContaining("is not a directory");
        } finally {
            kiln.locals.remove("vanished");
        }
        assertCacheUnchanged();
    }

    @Test
    void copySourceClimbingOutOfTheContextStaysInsideIt() throws Exception {
        State state = copyFromContext("../../etc/passwd", "/stolen");

        assertRefused(() -> kiln.build(state), "/etc/passwd", "no such file or directory");
    }

    @Test
    void followedSymlinkToAnAbsoluteHostPathResolvesInsideTheContext() throws Exception {
        State state = copyFromContext("to-shadow", "/shadow", CopyOption.followSymlinks());

        assertRefused(
                () -> kiln.build(state), "/to-shadow -> /etc/shadow: the link's target /etc/shadow does not exist");
    }

    @Test
    void followedSymlinkClimbingAboveTheContextStopsAtItsRoot() throws Exception {
        State state = copyFromContext("to-host-root/etc/hostname", "/hostname", CopyOption.followSymlinks());

        assertRefused(() -> kiln.build(state), "to-host-root", "no such file or directory");
    }

    @Test
    void followedRelativeSymlinkOutOfTheContextResolvesInsideIt() throws Exception {
        State state = copyFromContext("relative-escape", "/hostname", CopyOption.followSymlinks());

        assertRefused(
                () -> kiln.build(state), "/relative-escape -> ", "the link's target /etc/hostname does not exist");
    }

    @Test
    void followedDanglingSymlinkMatchedByAWildcardIsAClearError() throws Exception {
        State state = copyFromContext(
                "dangl*",
                "/out/",
                CopyOption.allowWildcard(),
                CopyOption.followSymlinks(),
                CopyOption.createDestPath());

        assertThatThrownBy(() -> kiln.build(state))
                .isInstanceOf(BuildException.class)
                .hasMessageContaining("/no-such-target")
                .hasMessageNotContaining("null")
                .hasMessageContaining("/dangling -> no-such-target: the link's target /no-such-target does not exist");
        assertCacheUnchanged();
    }

    @Test
    void escapingSymlinksOfTheContextArriveAsLinksNotAsHostFiles() throws Exception {
        Path out = kiln.build(copyFromContext("/", "/ctx/"));

        assertThat(Files.isSymbolicLink(out.resolve("ctx/to-shadow"))).isTrue();
        assertThat(Files.readSymbolicLink(out.resolve("ctx/to-shadow"))).isEqualTo(Path.of("/etc/shadow"));
        assertThat(Files.readString(out.resolve("ctx/inside.txt"))).isEqualTo("inside\n");
    }

    @Test
    void followPathsOutOfTheContextSendNothingFromTheHost() throws Exception {
        Path out = kiln.build(State.local("ctx", LocalOption.followPaths("../../../../etc/passwd", "to-shadow")));

        assertThat(out.resolve("etc")).doesNotExist();
        assertThat(Files.isSymbolicLink(out.resolve("to-shadow"))).isTrue();
        assertThat(Files.readSymbolicLink(out.resolve("to-shadow"))).isEqualTo(Path.of("/etc/shadow"));
    }

    @Test
    void unknownFrontendIsAnErrorNamingIt() throws Exception {
        assertRefused(
                () -> kiln.run(new FrontendSpec.Named("no-such-frontend.v0")), "no-such-frontend.v0", "not available");
    }

    @Test
    void frontendThatThrowsFailsTheBuildNamingIt() throws Exception {
        assertRefused(
                () -> kiln.run(new FrontendSpec.Function("broken frontend", client -> {
                    throw new IllegalStateException("the frontend gave up");
                })),
                "broken frontend",
                "the frontend gave up");
    }
}
