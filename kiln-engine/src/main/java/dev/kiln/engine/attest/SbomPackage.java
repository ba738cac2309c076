package dev.kiln.engine.attest;

import dev.kiln.core.Digest;
import java.util.List;
import java.util.Objects;

/**
 * One package an SBOM lists: a Debian or Alpine package from the package manager's database, or a Java artifact
 * found in a jar.
 *
 * @param type the package URL type: {@code deb}, {@code apk} or {@code maven}
 * @param name the package's name (a Maven artifact's artifactId)
 * @param version its version, or "" when unknown
 * @param purl its package URL
 * @param checksums digests of the package's file (a jar's sha256), or none
 * @param location where it was found: the database file, or the jar's path ({@code /app.jar!/BOOT-INF/lib/x.jar}
 *     for a jar inside a jar)
 * @param supplier who made it ({@code Person: NAME <MAIL>} or {@code Organization: NAME}), or ""
 * @param license the license the package declares (an SPDX expression), or ""
 * @param containedIn the index of the package (in the document's list) whose jar holds this one's classes (a
 *     shaded dependency, or a jar nested in another), or -1
 */
public record SbomPackage(
        String type,
        String name,
        String version,
        String purl,
        List<Digest> checksums,
        String location,
        String supplier,
        String license,
        int containedIn) {

    public SbomPackage {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(purl, "purl");
        checksums = List.copyOf(checksums);
        Objects.requireNonNull(location, "location");
        supplier = supplier == null ? "" : supplier;
        license = license == null ? "" : license;
    }

    SbomPackage withContainedIn(int index) {
        return new SbomPackage(type, name, version, purl, checksums, location, supplier, license, index);
    }
}
