package dev.kiln.oci.layer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.core.sys.Xattrs;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile layers, built here with commons-compress: each must fail naming its entry and leave everything outside
 * the target directory as it was. Escapes aim at names no one uses (never at /etc/passwd itself), so a regression
 * cannot damage the machine running the tests.
 */
class LayerSafetyTest {
    @TempDir
    Path temp;

    Path target;
    Path outside;
    String escapeName;

    @BeforeEach
    void directories() throws IOException {
        target = Files.createDirectory(temp.resolve("target"));
        outside = Files.createDirectory(temp.resolve("outside"));
        escapeName = "kiln-escape-" + UUID.randomUUID();
    }

    /**
     * The layers that aim outside the target with their names alone: each is refused naming its entry and the
     * problem, and leaves nothing outside. Each case is named as the test it was.
     */
    static Stream<Arguments> refusedLayers() {
        return Stream.of(
                refused(
                        "dotDotThatClimbsOutIsRefused",
                        out -> file(out, "../outside/x", "evil"),
                        "../outside/x",
                        "climbs out of the layer"),
                refused(
                        "dotDotHiddenInsideTheNameIsRefused",
                        out -> {
                            dir(out, "a/");
                            file(out, "a/../../outside/x", "evil");
                        },
                        "a/../../outside/x",
                        "climbs out of the layer"),
                refused(
                        "absoluteNameThatClimbsOutIsRefused",
                        out -> file(out, "/../outside/x", "evil"),
                        "/../outside/x",
                        "climbs out of the layer"),
                refused(
                        "writingThroughARelativeSymlinkThatClimbsOutIsRefused",
                        out -> {
                            dir(out, "deep/");
                            symlink(out, "deep/up", "../../outside");
                            file(out, "deep/up/x", "evil");
                        },
                        "deep/up/x",
                        "goes through the symlink \"deep/up\", which points outside the layer"),
                refused(
                        "symlinkChainsThatEndOutsideAreRefused",
                        out -> {
                            symlink(out, "one", "two");
                            symlink(out, "two", "three/..");
                            dir(out, "three/");
                            symlink(out, "three/four", "../..");
                            file(out, "one/three/four/outside/x", "evil");
                        },
                        "one/three/four/outside/x",
                        "points outside the layer"),
                refused(
                        "hardLinkOutOfTheLayerIsRefused",
                        out -> hardLink(out, "passwd", "../../etc/passwd"),
                        "passwd",
                        "hard link to \"../../etc/passwd\", which is outside the layer"),
                refused(
                        "hardLinkToAnAbsolutePathMeansTheLayersFileAndIsRefusedWhenItIsNotThere",
                        out -> hardLink(out, "passwd", "/etc/passwd"),
                        "passwd",
                        "hard link through \"etc\", which is not in the layer"),
                refused(
                        "hardLinkThatClimbsOutFromTheRootIsRefused",
                        out -> hardLink(out, "passwd", "/../etc/passwd"),
                        "passwd",
                        "hard link to \"/../etc/passwd\", which is outside the layer"),
                refused(
                        "hardLinkThroughASymlinkPointingOutsideIsRefused",
                        out -> {
                            symlink(out, "etc", "/etc");
                            hardLink(out, "passwd", "etc/passwd");
                        },
                        "passwd",
                        "goes through the symlink \"etc\", which points outside the layer"),
                refused(
                        "hardLinkToAFileNotInTheLayerIsRefused",
                        out -> {
                            dir(out, "bin/");
                            hardLink(out, "bin/sh", "bin/busybox");
                        },
                        "bin/sh",
                        "hard link to \"bin/busybox\", which is not in the layer"),
                refused(
                        "whiteoutOfDotDotIsRefused",
                        out -> file(out, "a/.wh...", ""),
                        "a/.wh...",
                        "a whiteout must name a file"));
    }

    private static Arguments refused(String name, Entries entries, String entry, String problem) {
        return Arguments.of(Named.of(name, entries), entry, problem);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusedLayers")
    void layerAimingOutsideIsRefused(Entries entries, String entry, String problem) throws IOException {
        assertRefused(tar(entries), entry, problem);
    }

    @Test
    void dotDotThatStaysInsideIsAllowed() throws IOException {
        apply(out -> file(out, "a/b/../c", "fine"));

        assertThat(target.resolve("a/c")).hasContent("fine");
    }

    @Test
    void absoluteNameLandsInsideTheLayer() throws IOException {
        String name = "/etc/" + escapeName;
        apply(out -> file(out, name, "inside"));

        assertThat(target.resolve("etc/" + escapeName)).hasContent("inside");
        assertThat(Path.of(name)).doesNotExist();
        assertThat(LayerTrees.names(outside)).isEmpty();
    }

    @Test
    void slashDotSlashAndPlainNamesAreTheSameFile() throws IOException {
        AppliedLayer applied = apply(out -> {
            dir(out, "/");
            dir(out, "./");
            dir(out, "//");
            dir(out, "/.");
            file(out, "/etc/x", "first");
            file(out, "./etc/x", "second");
            file(out, "etc/x", "third");
            file(out, "//etc//y", "y");
        });

        assertThat(LayerTrees.names(target)).containsExactly("etc");
        assertThat(LayerTrees.names(target.resolve("etc"))).containsExactlyInAnyOrder("x", "y");
        assertThat(target.resolve("etc/x")).hasContent("third");
        assertThat(target.resolve("etc/y")).hasContent("y");
        assertThat(applied.warnings()).isEmpty();
    }

    @Test
    void theRootEntryIsSkippedAsContainerdSkipsIt() throws IOException {
        int before = (int) Files.getAttribute(target, "unix:mode") & 07777;
        apply(out -> {
            TarArchiveEntry root = new TarArchiveEntry("/", true);
            root.setMode(040700);
            root.setIds(1234, 1234);
            out.putArchiveEntry(root);
            out.closeArchiveEntry();
            symlink(out, "./", "/etc");
            file(out, "/greeting", "hello");
        });

        assertThat((int) Files.getAttribute(target, "unix:mode") & 07777).isEqualTo(before);
        assertThat((int) Files.getAttribute(target, "unix:uid")).isNotEqualTo(1234);
        assertThat(Files.isSymbolicLink(target)).isFalse();
        assertThat(target.resolve("greeting")).hasContent("hello");
    }

    @Test
    void writingThroughASymlinkToAnAbsolutePathIsRefused() throws IOException {
        String name = "a/" + escapeName;
        byte[] tar = tar(out -> {
            symlink(out, "a", "/etc");
            file(out, name, "evil");
        });

        assertRefused(tar, name, "goes through the symlink \"a\", which points outside the layer (to /etc)");
        assertThat(Path.of("/etc", escapeName)).doesNotExist();
    }

    @Test
    void writingThroughASymlinkThatStaysInsideFollowsIt() throws IOException {
        apply(out -> {
            dir(out, "usr/lib/");
            symlink(out, "lib", "usr/lib");
            file(out, "lib/libc.so", "libc");
        });

        assertThat(target.resolve("usr/lib/libc.so")).hasContent("libc");
        assertThat(Files.isSymbolicLink(target.resolve("lib"))).isTrue();
    }

    @Test
    void aFileReplacesASymlinkOfTheSameNameInsteadOfWritingThroughIt() throws IOException {
        Path victim = outside.resolve("victim");
        Files.writeString(victim, "untouched");
        apply(out -> {
            symlink(out, "a", victim.toString());
            file(out, "a", "replaced");
        });

        assertThat(Files.isSymbolicLink(target.resolve("a"))).isFalse();
        assertThat(target.resolve("a")).hasContent("replaced");
        assertThat(victim).hasContent("untouched");
    }

    @Test
    void hardLinkToAnAbsolutePathOfAnEarlierEntryIsMade() throws IOException {
        apply(out -> {
            file(out, "/bin/busybox", "busybox");
            hardLink(out, "/bin/sh", "/bin/busybox");
            hardLink(out, "./bin/ls", "./bin/busybox");
        });

        assertThat(Files.isSameFile(target.resolve("bin/sh"), target.resolve("bin/busybox")))
                .isTrue();
        assertThat(Files.isSameFile(target.resolve("bin/ls"), target.resolve("bin/busybox")))
                .isTrue();
    }

    @Test
    void hardLinkToAnEarlierEntryIsMade() throws IOException {
        apply(out -> {
            file(out, "bin/busybox", "busybox");
            hardLink(out, "bin/sh", "bin/busybox");
        });

        assertThat(Files.isSameFile(target.resolve("bin/sh"), target.resolve("bin/busybox")))
                .isTrue();
    }

    @Test
    void overlayAttributesInTheTarAreIgnoredWithAWarning() throws IOException {
        AppliedLayer applied = apply(out -> {
            TarArchiveEntry entry = new TarArchiveEntry("dir/");
            entry.addPaxHeader("SCHILY.xattr.trusted.overlay.redirect", "/elsewhere");
            out.putArchiveEntry(entry);
            out.closeArchiveEntry();
        });

        assertThat(Xattrs.get(target.resolve("dir"), "trusted.overlay.redirect"))
                .isEmpty();
        assertThat(applied.warnings()).singleElement().asString().contains("trusted.overlay.redirect");
    }

    @Test
    void corruptHeaderIsRefusedWithItsOffset() throws IOException {
        byte[] tar = tar(out -> {
            file(out, "first", "1");
            file(out, "second", "2");
        });
        tar[1024 + 10] ^= 0x55; // inside the second header's name

        assertThatThrownBy(applying(tar))
                .isInstanceOf(InvalidLayerException.class)
                .hasMessageContaining("corrupt tar header at offset 1024");
    }

    @Test
    void truncatedDataIsRefusedNamingTheEntry() throws IOException {
        byte[] tar = tar(out -> file(out, "big", "x".repeat(5000)));

        assertRefusedAsEndingInsideTheData(Arrays.copyOf(tar, 512 + 2048), "big");
    }

    @Test
    void dataEndingWithoutPaddingOrEndBlocksEndsTheArchive() throws IOException {
        // As umoci 0.4's insert writes a layer, and Go's archive/tar (so containerd) reads it.
        byte[] tar = tar(out -> {
            dir(out, "/");
            file(out, "/greeting", "hello");
        });
        byte[] unpadded = Arrays.copyOf(tar, 2 * 512 + "hello".length());

        AppliedLayer applied = LayerUnpacker.apply(new ByteArrayInputStream(unpadded), target);

        assertThat(target.resolve("greeting")).hasContent("hello");
        assertThat(applied.diffId().toString()).isEqualTo(LayerTrees.sha(unpadded));
    }

    @Test
    void paddingCutShortIsRefusedNamingTheEntry() throws IOException {
        byte[] tar = tar(out -> file(out, "greeting", "hello"));

        assertRefusedAsEndingInsideTheData(Arrays.copyOf(tar, 512 + "hello".length() + 1), "greeting");
    }

    @Test
    void aFilesystemFailureNamesTheEntry() throws IOException {
        String name = "dir/" + "n".repeat(300);
        byte[] tar = tar(out -> file(out, name, "too long for ext4"));

        assertThatThrownBy(applying(tar))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("cannot apply layer entry \"" + name + "\"");
    }

    /** Applies the layer of {@code entries} to the target directory. */
    private AppliedLayer apply(Entries entries) throws IOException {
        return LayerUnpacker.apply(new ByteArrayInputStream(tar(entries)), target);
    }

    /** Applying {@code tar} to the target directory, for {@code assertThatThrownBy}. */
    private ThrowingCallable applying(byte[] tar) {
        return () -> LayerUnpacker.apply(new ByteArrayInputStream(tar), target);
    }

    private void assertRefusedAsEndingInsideTheData(byte[] truncated, String entry) {
        assertThatThrownBy(applying(truncated))
                .isInstanceOf(InvalidLayerException.class)
                .hasMessageContaining("\"" + entry + "\"")
                .hasMessageContaining("ends inside the entry's data");
    }

    private void assertRefused(byte[] tar, String entry, String problem) throws IOException {
        assertThatThrownBy(applying(tar))
                .isInstanceOf(InvalidLayerException.class)
                .hasMessageContaining("\"" + entry + "\"")
                .hasMessageContaining(problem)
                .satisfies(e -> assertThat(((InvalidLayerException) e).entry()).contains(entry));
        assertThat(LayerTrees.names(outside)).isEmpty();
        assertThat(LayerTrees.names(temp)).containsExactlyInAnyOrder("outside", "target");
    }

    @FunctionalInterface
    interface Entries {
        void write(TarArchiveOutputStream out) throws IOException;
    }

    static byte[] tar(Entries entries) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream out = new TarArchiveOutputStream(bytes)) {
            out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            entries.write(out);
        }
        return bytes.toByteArray();
    }

    static void file(TarArchiveOutputStream out, String name, String content) throws IOException {
        byte[] data = content.getBytes(StandardCharsets.UTF_8);
        TarArchiveEntry entry = new TarArchiveEntry(name, true);
        entry.setSize(data.length);
        entry.setModTime(1_000_000_000_000L);
        out.putArchiveEntry(entry);
        out.write(data);
        out.closeArchiveEntry();
    }

    static void dir(TarArchiveOutputStream out, String name) throws IOException {
        out.putArchiveEntry(new TarArchiveEntry(name, true));
        out.closeArchiveEntry();
    }

    static void symlink(TarArchiveOutputStream out, String name, String target) throws IOException {
        TarArchiveEntry entry = new TarArchiveEntry(name, TarConstants.LF_SYMLINK, true);
        entry.setLinkName(target);
        out.putArchiveEntry(entry);
        out.closeArchiveEntry();
    }

    static void hardLink(TarArchiveOutputStream out, String name, String target) throws IOException {
        TarArchiveEntry entry = new TarArchiveEntry(name, TarConstants.LF_LINK, true);
        entry.setLinkName(target);
        out.putArchiveEntry(entry);
        out.closeArchiveEntry();
    }
}
