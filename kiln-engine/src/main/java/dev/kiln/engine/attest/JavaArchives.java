package dev.kiln.engine.attest;

import dev.kiln.core.Digest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * The Java artifacts in a filesystem: every jar, war and ear, read for the Maven coordinates its build wrote into
 * {@code META-INF/maven/GROUP/ARTIFACT/pom.properties}. A jar names its own artifact (with the jar's sha256) and, when
 * the build shaded dependencies into it, theirs too (several pom.properties in one jar; they are contained in it).
 * Jars inside jars (Spring Boot's {@code BOOT-INF/lib/}, a war's {@code WEB-INF/lib/}) are read the same way, each
 * with its own checksum, so a fat jar lists what it carries. A generic scanner that looks at files only sees the
 * outer jar; reading the archives as the JVM does is where a Java engine can do better.
 */
final class JavaArchives {

    /** Nested archives deeper than this are not opened: real builds nest two levels, a crafted jar could nest many. */
    private static final int MAX_DEPTH = 4;

    /** A nested jar larger than this is not read into memory for scanning. */
    private static final long MAX_NESTED_BYTES = 256L << 20;

    private final List<SbomPackage> packages;

    private JavaArchives(List<SbomPackage> packages) {
        this.packages = packages;
    }

    /** Adds the Java artifacts of every archive under {@code root} to {@code packages}, in path order. */
    static void scan(Path root, List<SbomPackage> packages) throws IOException {
        List<Path> archives = new ArrayList<>();
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                if (attrs.isRegularFile() && isArchive(file.getFileName().toString())) {
                    archives.add(file);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
                return FileVisitResult.CONTINUE;
            }
        });
        archives.sort(null);
        JavaArchives scanner = new JavaArchives(packages);
        for (Path archive : archives) {
            Digest sha256 = sha256(archive);
            try (InputStream in = Files.newInputStream(archive)) {
                scanner.archive(in, "/" + root.relativize(archive), sha256, -1, 0);
            } catch (IOException | IllegalArgumentException unreadable) {
                // a file named .jar that is not a zip is not a Java artifact; the SBOM goes on without it
            }
        }
    }

    static boolean isArchive(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return lower.endsWith(".jar") || lower.endsWith(".war") || lower.endsWith(".ear");
    }

    /**
     * Reads one archive: its pom.properties and the archives inside it. Its own artifact gets its checksum; shaded
     * artifacts and nested archives' artifacts are contained in it.
     */
    private void archive(InputStream in, String location, Digest sha256, int parent, int depth) throws IOException {
        List<Properties> poms = new ArrayList<>();
        List<Map.Entry<String, byte[]>> nested = new ArrayList<>();
        ZipInputStream zip = new ZipInputStream(in);
        for (ZipEntry entry = zip.getNextEntry(); entry != null; entry = zip.getNextEntry()) {
            String name = entry.getName();
            if (entry.isDirectory()) {
                continue;
            }
            if (name.startsWith("META-INF/maven/") && name.endsWith("/pom.properties")) {
                Properties pom = new Properties();
                pom.load(new StringReader(new String(zip.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)));
                poms.add(pom);
            } else if (isArchive(name) && depth < MAX_DEPTH) {
                byte[] bytes = zip.readNBytes((int) Math.min(MAX_NESTED_BYTES + 1, Integer.MAX_VALUE - 8));
                if (bytes.length <= MAX_NESTED_BYTES) {
                    nested.add(Map.entry(name, bytes));
                }
            }
        }
        String fileName = location.substring(location.lastIndexOf('/') + 1);
        int own = ownArtifact(poms, fileName);
        int self = parent;
        if (own >= 0) {
            self = packages.size();
            packages.add(maven(poms.get(own), location, List.of(sha256), parent));
        } else if (!poms.isEmpty() || !nested.isEmpty()) {
            // an archive that carries artifacts without naming itself is listed by its file, with its checksum
            self = packages.size();
            String stem = fileName.replaceFirst("\\.[A-Za-z]+$", "");
            packages.add(new SbomPackage("maven", stem, "", "", List.of(sha256), location, "", "", parent));
        }
        for (int i = 0; i < poms.size(); i++) {
            if (i != own) {
                packages.add(maven(poms.get(i), location, List.of(), self));
            }
        }
        for (Map.Entry<String, byte[]> inner : nested) {
            try {
                archive(
                        new ByteArrayInputStream(inner.getValue()),
                        location + "!/" + inner.getKey(),
                        Digest.sha256(inner.getValue()),
                        self,
                        depth + 1);
            } catch (IOException | IllegalArgumentException unreadable) {
                // as for a file: an entry named .jar that is not a zip names no artifact
            }
        }
    }

    /**
     * Which pom.properties is the archive's own artifact: the only one, else the one whose artifactId the file name
     * starts with ({@code app-1.0.jar} for {@code app}); -1 when none is (then all are shaded in).
     */
    private static int ownArtifact(List<Properties> poms, String fileName) {
        if (poms.size() == 1) {
            return 0;
        }
        int best = -1;
        for (int i = 0; i < poms.size(); i++) {
            String artifact = poms.get(i).getProperty("artifactId", "");
            if (!artifact.isEmpty()
                    && (fileName.startsWith(artifact + "-") || fileName.startsWith(artifact + "."))
                    && (best < 0
                            || artifact.length()
                                    > poms.get(best).getProperty("artifactId").length())) {
                best = i;
            }
        }
        return best;
    }

    private static SbomPackage maven(Properties pom, String location, List<Digest> checksums, int parent) {
        String group = pom.getProperty("groupId", "").strip();
        String artifact = pom.getProperty("artifactId", "").strip();
        String version = pom.getProperty("version", "").strip();
        return new SbomPackage(
                "maven",
                artifact,
                version,
                PackageUrl.of("maven", group, artifact, version, List.of()),
                checksums,
                location,
                "",
                "",
                parent);
    }

    private static Digest sha256(Path file) throws IOException {
        MessageDigest sha = Digest.engine("sha256");
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), sha)) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
        }
        return new Digest("sha256", HexFormat.of().formatHex(sha.digest()));
    }
}
