package dev.kiln.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * A class path of many jars as one jar that a JVM sees the same classes and resources in: of entries of the same name
 * the first jar's, the service files of all of them joined in class path order. One jar and not dozens, because a
 * fresh JVM opens every jar of its class path the first time anything looks up a service, and java.util.logging and
 * NIO's socket channels both do: some 20 ms for the 44 jars of the {@code kiln} command, spent in every command, and
 * about 20 ms for the 27 of Kiln's Dockerfile frontend before its first call. What a class path does not use goes:
 * the jars' manifests (but Multi-Release), signatures and module descriptors. The bytes depend on nothing but the
 * jars: their entries in order, one timestamp.
 *
 * <p>The {@code kiln} launcher runs {@link #main} after it builds Kiln; the frontend image packs its jars with
 * {@link #merge}.
 */
public final class ClassPathJar {

    /** The time of every entry of a jar the launcher makes (1980-01-01, the zip format's earliest). */
    private static final Instant LAUNCHER_EPOCH = Instant.parse("1980-01-01T00:00:00Z");

    private ClassPathJar() {}

    /** {@code ClassPathJar OUT JAR...}: writes the jars as one to OUT (through a temporary file beside it). */
    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: ClassPathJar OUT JAR...");
            System.exit(2);
        }
        Path out = Path.of(args[0]);
        List<Path> jars = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            jars.add(Path.of(args[i]));
        }
        Path temporary = Files.createTempFile(out.toAbsolutePath().getParent(), out.getFileName() + ".", ".tmp");
        try {
            merge(jars, temporary, LAUNCHER_EPOCH);
            // readable as the jars it merges are (a temporary file is its owner's only)
            Files.setPosixFilePermissions(temporary, PosixFilePermissions.fromString("rw-r--r--"));
            Files.move(temporary, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    /** Writes {@code jars} as one jar at {@code merged}, every entry dated {@code epoch}. */
    public static void merge(List<Path> jars, Path merged, Instant epoch) throws IOException {
        Set<String> written = new HashSet<>();
        Map<String, ByteArrayOutputStream> services = new LinkedHashMap<>();
        boolean multiRelease = false;
        for (Path jar : jars) {
            try (JarFile file = new JarFile(jar.toFile())) {
                multiRelease |= file.isMultiRelease();
            }
        }
        try (OutputStream out = Files.newOutputStream(merged);
                ZipOutputStream zip = new ZipOutputStream(out)) {
            put(zip, "META-INF/MANIFEST.MF", manifest(multiRelease), epoch);
            written.add("META-INF/MANIFEST.MF");
            for (Path jar : jars) {
                try (ZipFile file = new ZipFile(jar.toFile())) {
                    for (ZipEntry entry : Collections.list(file.entries())) {
                        String name = entry.getName();
                        if (entry.isDirectory() || !onClassPath(name)) {
                            continue;
                        }
                        try (InputStream in = file.getInputStream(entry)) {
                            if (name.startsWith("META-INF/services/")) {
                                ByteArrayOutputStream joined =
                                        services.computeIfAbsent(name, n -> new ByteArrayOutputStream());
                                in.transferTo(joined);
                                joined.write('\n');
                            } else if (written.add(name)) {
                                put(zip, name, in.readAllBytes(), epoch);
                            }
                        }
                    }
                }
            }
            for (Map.Entry<String, ByteArrayOutputStream> service : services.entrySet()) {
                put(zip, service.getKey(), service.getValue().toByteArray(), epoch);
            }
        }
    }

    /** Whether a jar entry means anything on a class path: not a manifest, signature or module descriptor. */
    private static boolean onClassPath(String name) {
        String upper = name.toUpperCase(Locale.ROOT);
        boolean signature = upper.startsWith("META-INF/")
                && upper.indexOf('/', "META-INF/".length()) < 0
                && (upper.endsWith(".SF") || upper.endsWith(".RSA") || upper.endsWith(".DSA") || upper.endsWith(".EC"));
        return !upper.equals("META-INF/MANIFEST.MF")
                && !upper.equals("META-INF/INDEX.LIST")
                && !signature
                && !name.endsWith("module-info.class");
    }

    private static byte[] manifest(boolean multiRelease) {
        String text = "Manifest-Version: 1.0\r\n" + (multiRelease ? "Multi-Release: true\r\n" : "") + "\r\n";
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static void put(ZipOutputStream zip, String name, byte[] data, Instant epoch) throws IOException {
        JarEntry entry = new JarEntry(name);
        entry.setTime(epoch.toEpochMilli());
        zip.putNextEntry(entry);
        zip.write(data);
        zip.closeEntry();
    }
}
