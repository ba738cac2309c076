package dev.kiln.engine;

import static dev.kiln.engine.ExportedFiles.bytes;
import static dev.kiln.engine.ExportedFiles.listing;
import static dev.kiln.engine.ExportedFiles.mode;
import static dev.kiln.engine.ExportedFiles.mtime;
import static dev.kiln.engine.ExportedFiles.owner;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.core.sys.PosixFiles;
import dev.kiln.engine.export.ExportTarget;
import dev.kiln.llb.CreatedAt;
import dev.kiln.llb.FileAction;
import dev.kiln.llb.Owner;
import dev.kiln.llb.RunOption;
import dev.kiln.llb.State;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The result as a user receives it: a directory or a tar archive. */
class ExportTest {

    private static final Instant WHEN = Instant.parse("2019-08-07T06:05:04Z");

    @RegisterExtension
    static final EngineFixture kiln = new EngineFixture();

    /** A small result with a directory, files of several modes and owners, a symlink and a hard link. */
    private static State result() {
        return State.scratch()
                .file(FileAction.mkdir("/app", 0750, Owner.ids(1000, 50), CreatedAt.of(WHEN))
                        .mkfile("/app/run.sh", 0755, bytes("#!/bin/sh\necho run\n"), CreatedAt.of(WHEN))
                        .mkfile("/app/secret", 0600, bytes("s3cret\n"), Owner.ids(1000, 1000))
                        .symlink("app/run.sh", "/start")
                        .mkdir("/empty", 0700, CreatedAt.of(WHEN)));
    }

    @Test
    void tarExportHasNamesModesOwnersSymlinksAndContent() throws Exception {
        Path tar = kiln.dir.resolve("exports/result.tar");

        kiln.build(result(), new ExportTarget.TarFile(tar));

        Map<String, TarEntry> entries = readTar(Files.newInputStream(tar));
        assertThat(entries.keySet()).containsExactly("app/", "app/run.sh", "app/secret", "empty/", "start");
        assertThat(entries.get("app/").entry().isDirectory()).isTrue();
        assertThat(entries.get("app/").entry().getMode() & 07777).isEqualTo(0750);
        assertThat(entries.get("app/").entry().getLongUserId()).isEqualTo(1000);
        assertThat(entries.get("app/").entry().getLongGroupId()).isEqualTo(50);
        assertThat(entries.get("app/run.sh").entry().getMode() & 07777).isEqualTo(0755);
        assertThat(entries.get("app/run.sh").text()).isEqualTo("#!/bin/sh\necho run\n");
        assertThat(entries.get("app/secret").entry().getMode() & 07777).isEqualTo(0600);
        assertThat(entries.get("app/secret").entry().getLongGroupId()).isEqualTo(1000);
        assertThat(entries.get("app/secret").text()).isEqualTo("s3cret\n");
        assertThat(entries.get("start").entry().isSymbolicLink()).isTrue();
        assertThat(entries.get("start").entry().getLinkName()).isEqualTo("app/run.sh");
        assertThat(entries.get("empty/").entry().getMode() & 07777).isEqualTo(0700);
        assertThat(entries.get("empty/").entry().getModTime().toInstant()).isEqualTo(WHEN);
        assertThat(entries.get("app/run.sh").entry().getModTime().toInstant()).isEqualTo(WHEN);
    }

    @Test
    void tarExportKeepsHardLinksAsLinkEntries() throws Exception {
        State linked = EngineFixture.base()
                .run(RunOption.sh("mkdir /out && echo shared > /out/a && ln /out/a /out/b"))
                .root();
        ByteArrayOutputStream out = new ByteArrayOutputStream();

        kiln.build(State.diff(EngineFixture.base(), linked), new ExportTarget.TarStream(out));

        Map<String, TarEntry> entries = readTar(new ByteArrayInputStream(out.toByteArray()));
        assertThat(entries).containsKeys("out/a", "out/b");
        assertThat(entries.get("out/a").text()).isEqualTo("shared\n");
        assertThat(entries.get("out/b").entry().isLink()).isTrue();
        assertThat(entries.get("out/b").entry().getLinkName()).isEqualTo("out/a");
    }

    @Test
    void tarExportKeepsDevicesAndFifos() throws Exception {
        State special = EngineFixture.base()
                .run(RunOption.sh("mkdir /special && mknod /special/null c 1 3 && mknod /special/loop b 7 200 "
                        + "&& mkfifo /special/pipe"))
                .root();
        ByteArrayOutputStream out = new ByteArrayOutputStream();

        kiln.build(State.diff(EngineFixture.base(), special), new ExportTarget.TarStream(out));

        Map<String, TarEntry> entries = readTar(new ByteArrayInputStream(out.toByteArray()));
        assertThat(entries).containsKeys("special/null", "special/loop", "special/pipe");
        assertThat(entries.get("special/null").entry().isCharacterDevice()).isTrue();
        assertThat(entries.get("special/null").entry().getDevMajor()).isEqualTo(1);
        assertThat(entries.get("special/null").entry().getDevMinor()).isEqualTo(3);
        assertThat(entries.get("special/loop").entry().isBlockDevice()).isTrue();
        assertThat(entries.get("special/loop").entry().getDevMajor()).isEqualTo(7);
        assertThat(entries.get("special/loop").entry().getDevMinor()).isEqualTo(200);
        assertThat(entries.get("special/pipe").entry().isFIFO()).isTrue();
    }

    @Test
    void tarOfTheSameResultIsTheSameBytes() throws Exception {
        ByteArrayOutputStream first = new ByteArrayOutputStream();
        ByteArrayOutputStream second = new ByteArrayOutputStream();

        kiln.build(result(), new ExportTarget.TarStream(first));
        kiln.build(result(), new ExportTarget.TarStream(second));

        assertThat(second.toByteArray()).isEqualTo(first.toByteArray());
    }

    @Test
    void localExportWritesTheTreeWithModesTimesAndLinksOwnedByTheBuildingUser() throws Exception {
        Path dest = kiln.dir.resolve("exports/local/nested/dest");

        kiln.build(result(), new ExportTarget.LocalDirectory(dest));

        // as BuildKit's client writes a local export: as itself, whoever owns the files in the result
        String me = PosixFiles.uid() + ":" + PosixFiles.gid();
        assertThat(listing(dest)).containsExactly("app", "empty", "start");
        assertThat(mode(dest.resolve("app"))).isEqualTo(0750);
        assertThat(owner(dest.resolve("app"))).isEqualTo(me);
        assertThat(owner(dest.resolve("start"))).isEqualTo(me);
        assertThat(mtime(dest.resolve("empty"))).isEqualTo(WHEN);
        assertThat(mode(dest.resolve("app/run.sh"))).isEqualTo(0755);
        assertThat(mtime(dest.resolve("app/run.sh"))).isEqualTo(WHEN);
        assertThat(owner(dest.resolve("app/secret"))).isEqualTo(me);
        assertThat(Files.readString(dest.resolve("app/secret"))).isEqualTo("s3cret\n");
        assertThat(Files.readSymbolicLink(dest.resolve("start"))).isEqualTo(Path.of("app/run.sh"));
    }

    @Test
    void localExportIntoAnExistingDirectoryReplacesWhatTheResultHas() throws Exception {
        Path dest = Files.createDirectories(kiln.dir.resolve("exports/existing"));
        Files.createDirectories(dest.resolve("app"));
        Files.writeString(dest.resolve("app/secret"), "old content that is longer than the new\n");
        Files.writeString(dest.resolve("unrelated"), "left alone\n");

        kiln.build(result(), new ExportTarget.LocalDirectory(dest));

        assertThat(Files.readString(dest.resolve("app/secret"))).isEqualTo("s3cret\n");
        assertThat(Files.readString(dest.resolve("unrelated"))).isEqualTo("left alone\n");
    }

    @Test
    void scratchExportsAsEmpty() throws Exception {
        Path dest = kiln.dir.resolve("exports/scratch-dir");
        Path tar = kiln.dir.resolve("exports/scratch.tar");

        kiln.build(State.scratch(), new ExportTarget.LocalDirectory(dest), new ExportTarget.TarFile(tar));

        assertThat(listing(dest)).isEmpty();
        assertThat(readTar(Files.newInputStream(tar))).isEmpty();
    }

    @Test
    void oneBuildExportsToSeveralTargets() throws Exception {
        Path dest = kiln.dir.resolve("exports/both-dir");
        Path tar = kiln.dir.resolve("exports/both.tar");

        kiln.build(result(), new ExportTarget.LocalDirectory(dest), new ExportTarget.TarFile(tar));

        assertThat(Files.readString(dest.resolve("app/run.sh"))).isEqualTo("#!/bin/sh\necho run\n");
        assertThat(readTar(Files.newInputStream(tar)).get("app/run.sh").text()).isEqualTo("#!/bin/sh\necho run\n");
    }

    private record TarEntry(TarArchiveEntry entry, byte[] content) {
        String text() {
            return new String(content, StandardCharsets.UTF_8);
        }
    }

    private static Map<String, TarEntry> readTar(InputStream in) throws IOException {
        Map<String, TarEntry> entries = new LinkedHashMap<>();
        List<String> order = new ArrayList<>();
        try (TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                order.add(entry.getName());
                entries.put(entry.getName(), new TarEntry(entry, tar.readAllBytes()));
            }
        }
        assertThat(order).as("tar entry order").isSorted();
        return entries;
    }
}
