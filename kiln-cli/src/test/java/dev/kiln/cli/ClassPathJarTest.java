package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The launcher's class path as one jar: a class loader sees in it what it saw in the jars. */
class ClassPathJarTest {

    @TempDir
    Path dir;

    @Test
    void theFirstJarsEntryWinsServicesAreJoinedAndSignaturesGo() throws Exception {
        Path first = jar(
                "first.jar",
                false,
                "dev/example/Same.txt",
                "from first",
                "META-INF/services/dev.example.Service",
                "dev.example.One",
                "META-INF/FIRST.SF",
                "signature");
        Path second = jar(
                "second.jar",
                true,
                "dev/example/Same.txt",
                "from second",
                "META-INF/services/dev.example.Service",
                "dev.example.Two",
                "dev/example/Only.txt",
                "only in second");
        Path merged = dir.resolve("all.jar");

        ClassPathJar.main(new String[] {merged.toString(), first.toString(), second.toString()});

        try (URLClassLoader separate = new URLClassLoader(
                        new URL[] {first.toUri().toURL(), second.toUri().toURL()}, null);
                URLClassLoader one =
                        new URLClassLoader(new URL[] {merged.toUri().toURL()}, null)) {
            assertThat(read(one, "dev/example/Same.txt")).isEqualTo(read(separate, "dev/example/Same.txt"));
            assertThat(read(one, "dev/example/Only.txt")).isEqualTo("only in second");
            assertThat(services(one)).containsExactlyElementsOf(services(separate));
        }
        try (JarFile jar = new JarFile(merged.toFile())) {
            assertThat(jar.getEntry("META-INF/FIRST.SF")).isNull();
            // one of the jars is Multi-Release, so the merged one is too, or its versioned classes would be ignored
            assertThat(jar.isMultiRelease()).isTrue();
        }
        assertThat(Files.getPosixFilePermissions(merged))
                .containsExactlyInAnyOrderElementsOf(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    }

    /** Each service line the loader finds, in class path order. */
    private static List<String> services(ClassLoader loader) throws IOException {
        List<String> lines = new ArrayList<>();
        for (URL url : Collections.list(loader.getResources("META-INF/services/dev.example.Service"))) {
            try (var in = url.openStream()) {
                new String(in.readAllBytes(), StandardCharsets.UTF_8)
                        .lines()
                        .filter(line -> !line.isBlank())
                        .forEach(lines::add);
            }
        }
        return lines;
    }

    private static String read(ClassLoader loader, String name) throws IOException {
        try (var in = loader.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** A jar of {@code entries}, name then content. */
    private Path jar(String name, boolean multiRelease, String... entries) throws IOException {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        if (multiRelease) {
            manifest.getMainAttributes().put(Attributes.Name.MULTI_RELEASE, "true");
        }
        Path jar = dir.resolve(name);
        try (OutputStream file = Files.newOutputStream(jar);
                JarOutputStream out = new JarOutputStream(file, manifest)) {
            for (int i = 0; i < entries.length; i += 2) {
                out.putNextEntry(new JarEntry(entries[i]));
                out.write(entries[i + 1].getBytes(StandardCharsets.UTF_8));
                out.closeEntry();
            }
        }
        return jar;
    }
}
