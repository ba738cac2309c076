package dev.kiln.engine.attest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Makes the SBOM of a filesystem without an external scanner: the packages dpkg and apk installed (their databases)
 * and the Java artifacts in its jars ({@link JavaArchives}), as one {@link SpdxDocument}. BuildKit runs a scanner
 * image (Syft) for this; Kiln reads the same sources itself, so an SBOM needs no image and no network.
 */
public final class SbomScanner {

    private final String tool;

    /** @param tool the creator the documents name, {@code kiln} */
    public SbomScanner(String tool) {
        this.tool = tool;
    }

    /** The SBOM of the files under {@code root}, named {@code name} ({@code sbom}, {@code sbom-STAGE}). */
    public SpdxDocument scan(Path root, String name, Instant created) throws IOException {
        OsRelease os = OsRelease.read(root);
        List<SbomPackage> packages = new ArrayList<>();
        packages.addAll(DpkgDatabase.read(root, os));
        packages.addAll(ApkDatabase.read(root, os));
        int offset = packages.size();
        List<SbomPackage> java = new ArrayList<>();
        JavaArchives.scan(root, java);
        for (SbomPackage pkg : java) {
            // JavaArchives counts containing packages from 0 in its own list
            packages.add(pkg.containedIn() < 0 ? pkg : pkg.withContainedIn(pkg.containedIn() + offset));
        }
        StringBuilder seed = new StringBuilder(created.toString());
        packages.forEach(pkg -> seed.append('\n').append(pkg.purl()).append(pkg.location()));
        return new SpdxDocument(
                name,
                SpdxDocument.namespace(name, seed.toString().getBytes(StandardCharsets.UTF_8)),
                List.of("Organization: Kiln", "Tool: " + tool),
                created,
                packages);
    }
}
