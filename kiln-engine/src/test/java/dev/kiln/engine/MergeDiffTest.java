package dev.kiln.engine;

import static dev.kiln.engine.ExportedFiles.bytes;
import static dev.kiln.engine.ExportedFiles.listing;
import static dev.kiln.engine.ExportedFiles.mode;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.llb.CreatedAt;
import dev.kiln.llb.FileAction;
import dev.kiln.llb.MkdirOption;
import dev.kiln.llb.RunOption;
import dev.kiln.llb.State;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class MergeDiffTest {

    @RegisterExtension
    static final EngineFixture kiln = new EngineFixture();

    @Test
    void mergeOfTwoStatesHasTheFilesOfBoth() throws Exception {
        State a = State.scratch().file(FileAction.mkdir("/shared", 0755).mkfile("/shared/a", 0644, bytes("a\n")));
        State b = State.scratch().file(FileAction.mkdir("/shared", 0755).mkfile("/shared/b", 0600, bytes("b\n")));

        Path out = kiln.build(State.merge(List.of(a, b)));

        assertThat(listing(out)).containsExactly("shared");
        assertThat(listing(out.resolve("shared"))).containsExactly("a", "b");
        assertThat(mode(out.resolve("shared/b"))).isEqualTo(0600);
    }

    @Test
    void laterMergeInputsWinOnTheSamePath() throws Exception {
        State first = State.scratch().file(FileAction.mkfile("/same", 0644, bytes("first\n")));
        State second = State.scratch().file(FileAction.mkfile("/same", 0644, bytes("second\n")));

        Path out = kiln.build(State.merge(List.of(first, second)));

        assertThat(Files.readString(out.resolve("same"))).isEqualTo("second\n");
    }

    @Test
    void mergeOntoTheRootfsKeepsItRunnable() throws Exception {
        State tool = State.scratch()
                .file(FileAction.mkdir("/opt/tool", 0755, MkdirOption.makeParents())
                        .mkfile("/opt/tool/run.sh", 0755, bytes("#!/bin/sh\necho tool ran\n")));
        State merged = State.merge(List.of(EngineFixture.base(), tool))
                .run(RunOption.sh("/opt/tool/run.sh > /result"))
                .root();

        Path out = kiln.build(merged);

        assertThat(Files.readString(out.resolve("result"))).isEqualTo("tool ran\n");
    }

    /** What one RUN step of {@code script} changed on the base: its result's diff against the base. */
    private static State diffOfRun(String script) {
        State base = EngineFixture.base();
        return State.diff(base, base.run(RunOption.sh(script)).root());
    }

    @Test
    void diffContainsOnlyWhatTheStepChanged() throws Exception {
        State diff = diffOfRun("mkdir -p /app && echo built > /app/output && echo more >> /etc/passwd");

        Path out = kiln.build(diff);

        assertThat(listing(out)).containsExactlyInAnyOrder("app", "etc");
        assertThat(listing(out.resolve("app"))).containsExactly("output");
        assertThat(listing(out.resolve("etc"))).containsExactly("passwd");
        assertThat(Files.readString(out.resolve("etc/passwd"))).endsWith("more\n");
    }

    @Test
    void diffOfARunStepHoldsNoTraceOfTheContainerSetup() throws Exception {
        State diff = diffOfRun("echo new > /new");

        Path out = kiln.build(diff);

        assertThat(listing(out)).containsExactly("new");
    }

    @Test
    void mergingADiffLeavesDirectoriesTheStepDidNotChangeAsTheyWere() throws Exception {
        State diff = diffOfRun("echo new > /new");
        State other =
                State.scratch().file(FileAction.mkdir("/etc", 0700).mkfile("/etc/only-here", 0644, bytes("other\n")));

        Path out = kiln.build(State.merge(List.of(other, diff)));

        assertThat(mode(out.resolve("etc"))).isEqualTo(0700);
        assertThat(listing(out)).containsExactly("etc", "new");
    }

    @Test
    void diffOfADeletionRemovesThePathWhenMergedOntoAnotherBase() throws Exception {
        State diff = diffOfRun("rm /etc/group && echo added > /etc/added");
        State other = State.scratch()
                .file(FileAction.mkdir("/etc", 0755)
                        .mkfile("/etc/group", 0644, bytes("other group\n"))
                        .mkfile("/etc/kept", 0644, bytes("kept\n")));

        Path out = kiln.build(State.merge(List.of(other, diff)));

        assertThat(listing(out.resolve("etc"))).containsExactly("added", "kept");
        assertThat(Files.readString(out.resolve("etc/kept"))).isEqualTo("kept\n");
    }

    @Test
    void diffExportedOnItsOwnShowsNoDeletedPath() throws Exception {
        State diff = diffOfRun("rm /etc/group");

        Path out = kiln.build(diff);

        assertThat(out.resolve("etc/group")).doesNotExist();
        assertThat(out.resolve("bin")).doesNotExist();
    }

    @Test
    void diffBetweenUnrelatedStatesTurnsOneIntoTheOther() throws Exception {
        // Same content, mode and time: a file both sides have alike is no change.
        CreatedAt then = CreatedAt.of(Instant.parse("2020-02-02T02:02:02Z"));
        State from = State.scratch()
                .file(FileAction.mkfile("/old", 0644, bytes("old\n")).mkfile("/same", 0644, bytes("same\n"), then));
        State to = State.scratch()
                .file(FileAction.mkfile("/new", 0644, bytes("new\n")).mkfile("/same", 0644, bytes("same\n"), then));
        State target = EngineFixture.base().file(FileAction.mkfile("/old", 0644, bytes("old\n")));

        Path out = kiln.build(State.merge(List.of(target, State.diff(from, to))));

        assertThat(out.resolve("old")).doesNotExist();
        assertThat(Files.readString(out.resolve("new"))).isEqualTo("new\n");
        assertThat(out.resolve("same")).doesNotExist();
        assertThat(out.resolve("bin/busybox")).isRegularFile();
    }

    @Test
    void diffAgainstItselfIsEmpty() throws Exception {
        State base = EngineFixture.base().file(FileAction.mkfile("/only", 0644, bytes("x")));

        Path out = kiln.build(State.diff(base, base));

        assertThat(listing(out)).isEmpty();
    }
}
