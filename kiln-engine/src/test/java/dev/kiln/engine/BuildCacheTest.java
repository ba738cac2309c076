package dev.kiln.engine;

import static dev.kiln.engine.ExportedFiles.listing;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.llb.CopyOption;
import dev.kiln.llb.FileAction;
import dev.kiln.llb.LocalOption;
import dev.kiln.llb.OpOption;
import dev.kiln.llb.RunOption;
import dev.kiln.llb.State;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class BuildCacheTest {

    @RegisterExtension
    static final EngineFixture kiln = new EngineFixture();

    /** A copy step named {@code name} of {@code src} from local context {@code context} to {@code dest} on the base. */
    private static State copyOnBase(String context, String src, String dest, String name, CopyOption... options) {
        return EngineFixture.base()
                .file(FileAction.copy(State.local(context), src, dest, options), OpOption.customName(name));
    }

    /** Writes {@code content} to {@code file} of {@code context}, as a user edits between builds, and builds again. */
    private static Path rebuildAfterWriting(State state, Path context, String file, String content) throws Exception {
        Files.writeString(context.resolve(file), content);
        return kiln.build(state);
    }

    /**
     * Builds {@code state}, writes {@code file} of {@code context} as a change that no step reads, and builds again:
     * only the context is sent again, and the file is not in the result, which it gives back.
     */
    private static Path rebuildAfterAChangeNoStepReads(State state, Path context, String file, String content)
            throws Exception {
        kiln.build(state);
        Path out = rebuildAfterWriting(state, context, file, content);
        assertThat(kiln.executed()).containsExactly("local://" + context.getFileName());
        assertThat(out.resolve(file)).doesNotExist();
        return out;
    }

    @Test
    void repeatBuildIsFullyCachedInThisProcessAndTheNext() throws Exception {
        State built = EngineFixture.base()
                .run(RunOption.sh("echo one > /one"), OpOption.customName("first"))
                .root()
                .run(RunOption.sh("cat /one > /two; echo two >> /two"), OpOption.customName("second"))
                .root();
        Path first = kiln.build(built);
        assertThat(kiln.executed()).contains("first", "second");

        Path again = kiln.build(built);
        assertThat(kiln.executed()).isEmpty();
        assertThat(kiln.cached()).containsExactlyInAnyOrder("local://rootfs", "first", "second");
        assertThat(Files.readString(again.resolve("two")))
                .isEqualTo(Files.readString(first.resolve("two")))
                .isEqualTo("one\ntwo\n");

        kiln.reopen();
        Path afterReopen = kiln.build(built);
        assertThat(kiln.executed()).isEmpty();
        assertThat(kiln.cached()).containsExactlyInAnyOrder("local://rootfs", "first", "second");
        assertThat(Files.readString(afterReopen.resolve("two"))).isEqualTo("one\ntwo\n");
    }

    @Test
    void changingOneContextFileRerunsOnlyItsBranch() throws Exception {
        Path context = kiln.context("branches", "a", "alpha\n", "b", "beta\n");
        State sources = State.local("branches");
        State a = EngineFixture.base()
                .file(FileAction.copy(sources, "a", "/in-a"), OpOption.customName("copy a"))
                .run(RunOption.sh("tr a-z A-Z < /in-a > /out-a"), OpOption.customName("run a"))
                .root();
        State b = EngineFixture.base()
                .file(FileAction.copy(sources, "b", "/in-b"), OpOption.customName("copy b"))
                .run(RunOption.sh("tr a-z A-Z < /in-b > /out-b"), OpOption.customName("run b"))
                .root();
        State both = State.merge(List.of(a, b), OpOption.customName("merge"));
        Path first = kiln.build(both);
        assertThat(Files.readString(first.resolve("out-a"))).isEqualTo("ALPHA\n");
        assertThat(Files.readString(first.resolve("out-b"))).isEqualTo("BETA\n");

        Path second = rebuildAfterWriting(both, context, "b", "beta changed\n");

        assertThat(Files.readString(second.resolve("out-a"))).isEqualTo("ALPHA\n");
        assertThat(Files.readString(second.resolve("out-b"))).isEqualTo("BETA CHANGED\n");
        assertThat(kiln.executed()).containsExactlyInAnyOrder("local://branches", "copy b", "run b", "merge");
        assertThat(kiln.cached()).contains("local://rootfs", "copy a", "run a");
    }

    @Test
    void copyOfAnUnchangedFileFromARebuiltContextStaysCached() throws Exception {
        Path context = kiln.context("partly-changed", "kept", "kept\n", "other", "first version\n");
        State copied = EngineFixture.base()
                .file(FileAction.copy(State.local("partly-changed"), "kept", "/kept"), OpOption.customName("copy kept"))
                .run(RunOption.sh("wc -c < /kept > /kept.size"), OpOption.customName("measure"))
                .root();
        Path out = rebuildAfterAChangeNoStepReads(copied, context, "other", "second, longer version\n");

        assertThat(kiln.cached()).contains("copy kept", "measure");
        assertThat(Files.readString(out.resolve("kept.size")).strip()).isEqualTo("5");
    }

    @Test
    void addingAFileToTheContextRerunsTheLocalSourceOnly() throws Exception {
        Path context = kiln.context("growing", "present", "here\n");
        State copied = copyOnBase("growing", "present", "/present", "copy present");
        Path out = rebuildAfterAChangeNoStepReads(copied, context, "new", "new\n");

        assertThat(Files.readString(out.resolve("present"))).isEqualTo("here\n");
    }

    @Test
    void changingAFileWhoseNameLooksLikeAPatternRerunsItsCopy() throws Exception {
        Path context = kiln.context("bracketed", "a[1].txt", "first\n", "a1.txt", "decoy\n");
        State copied = copyOnBase("bracketed", "a[1].txt", "/copied.txt", "copy bracketed");
        assertThat(Files.readString(kiln.build(copied).resolve("copied.txt"))).isEqualTo("first\n");

        Path out = rebuildAfterWriting(copied, context, "a[1].txt", "second version\n");

        assertThat(Files.readString(out.resolve("copied.txt"))).isEqualTo("second version\n");
        assertThat(kiln.executed()).contains("copy bracketed");
    }

    @Test
    void changingTheTargetOfAFollowedSymlinkRerunsTheCopy() throws Exception {
        Path context = kiln.context("linked", "target.txt", "first\n");
        Files.createSymbolicLink(context.resolve("link"), Path.of("target.txt"));
        State copied = copyOnBase("linked", "link", "/copied.txt", "copy through link", CopyOption.followSymlinks());
        assertThat(Files.readString(kiln.build(copied).resolve("copied.txt"))).isEqualTo("first\n");

        Path out = rebuildAfterWriting(copied, context, "target.txt", "second version\n");

        assertThat(Files.readString(out.resolve("copied.txt"))).isEqualTo("second version\n");
    }

    @Test
    void changingAFileTheCopyExcludesKeepsItCached() throws Exception {
        Path context = kiln.context("with-excluded", "src/main.c", "int main;\n", "src/notes.tmp", "scratch\n");
        State copied = copyOnBase("with-excluded", "src", "/src", "copy sources", CopyOption.exclude("*.tmp"));
        Path out = rebuildAfterAChangeNoStepReads(copied, context, "src/notes.tmp", "scratch, edited\n");

        assertThat(Files.readString(out.resolve("src/main.c"))).isEqualTo("int main;\n");
    }

    @Test
    void changingAFileOutsideTheFollowPathsKeepsTheContextCached() throws Exception {
        Path context = kiln.context("followed-only", "wanted.conf", "wanted\n", "unrelated", "unrelated\n");
        State source = State.local("followed-only", LocalOption.followPaths("wanted.conf"));
        kiln.build(source);

        Path out = rebuildAfterWriting(source, context, "unrelated", "unrelated, edited\n");

        assertThat(kiln.executed()).isEmpty();
        assertThat(listing(out)).containsExactly("wanted.conf");
    }

    @Test
    void changingTheTargetOfAFollowedContextSymlinkRebuildsTheContext() throws Exception {
        Path context = kiln.context("symlinked-dockerfile", "docker/Dockerfile.prod", "FROM first\n");
        Files.createSymbolicLink(context.resolve("Dockerfile"), Path.of("docker/Dockerfile.prod"));
        State source = State.local(
                "symlinked-dockerfile", LocalOption.include("Dockerfile"), LocalOption.followPaths("Dockerfile"));
        Path first = kiln.build(source);
        assertThat(Files.readString(first.resolve("docker/Dockerfile.prod"))).isEqualTo("FROM first\n");

        Path out = rebuildAfterWriting(source, context, "docker/Dockerfile.prod", "FROM second\n");

        assertThat(Files.readString(out.resolve("docker/Dockerfile.prod"))).isEqualTo("FROM second\n");
    }

    @Test
    void contextSentWithOtherPatternsHoldsOnlyWhatTheyLetThrough() throws Exception {
        Path context = kiln.context("patterned", "a.txt", "a\n", "b.txt", "b\n", "c.md", "c\n");

        Path onlyA = kiln.build(State.local("patterned", LocalOption.include("a.txt")));
        Path onlyB = kiln.build(State.local("patterned", LocalOption.include("b.txt")));
        Path noText = kiln.build(State.local("patterned", LocalOption.exclude("*.txt")));

        assertThat(listing(onlyA)).containsExactly("a.txt");
        assertThat(listing(onlyB)).containsExactly("b.txt");
        assertThat(listing(noText)).containsExactly("c.md");
    }

    @Test
    void removingAFileFromTheContextRemovesItFromTheNextBuild() throws Exception {
        Path context = kiln.context("shrinking", "kept", "kept\n", "removed", "removed\n");
        kiln.build(State.local("shrinking"));

        Files.delete(context.resolve("removed"));
        Path out = kiln.build(State.local("shrinking"));

        assertThat(listing(out)).containsExactly("kept");
    }

    @Test
    void stepThatIgnoresTheCacheRunsEveryTimeWhileItsInputsStayCached() throws Exception {
        State state = EngineFixture.base()
                .run(RunOption.sh("echo stable > /stable"), OpOption.customName("cached step"))
                .root()
                .run(
                        RunOption.sh("cat /proc/sys/kernel/random/uuid > /fresh"),
                        OpOption.customName("uncached step"),
                        OpOption.ignoreCache())
                .root();
        Path first = kiln.build(state);

        Path second = kiln.build(state);

        assertThat(kiln.executed()).containsExactly("uncached step");
        assertThat(kiln.cached()).contains("cached step");
        assertThat(Files.readString(second.resolve("fresh"))).isNotEqualTo(Files.readString(first.resolve("fresh")));
    }

    @Test
    void contextGivenThroughASymlinkedDirectoryIsRead() throws Exception {
        Path real = kiln.context("real-dir", "file", "through the link\n");
        Path link = Files.createSymbolicLink(kiln.dir.resolve("linked-context"), real);
        kiln.locals.put("linked", link);
        try {
            Path out = kiln.build(State.local("linked"));

            assertThat(Files.readString(out.resolve("file"))).isEqualTo("through the link\n");
        } finally {
            kiln.locals.remove("linked");
        }
    }
}
