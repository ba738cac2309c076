package dev.kiln.engine.attest;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.core.Digest;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * An SPDX 2.3 document in its JSON form, the SBOM predicate ({@code https://spdx.dev/Document}) Kiln stores for an
 * image: the packages found in its filesystem, each with its package URL as an external reference and its checksums,
 * the document describing each top-level package and each jar containing what was shaded or nested into it.
 *
 * @param name the document's name: what was scanned ({@code sbom} for the image, {@code sbom-STAGE} for a stage)
 * @param namespace the document's unique URI
 * @param creators who made it ({@code Tool: kiln})
 */
public record SpdxDocument(
        String name, String namespace, List<String> creators, Instant created, List<SbomPackage> packages) {

    public SpdxDocument {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(namespace, "namespace");
        creators = List.copyOf(creators);
        Objects.requireNonNull(created, "created");
        packages = List.copyOf(packages);
    }

    /** The document as SPDX JSON (the fields in the order of the SPDX 2.3 JSON schema's examples). */
    public byte[] toJson() {
        ObjectNode root = AttestJson.object();
        root.put("spdxVersion", "SPDX-2.3");
        root.put("dataLicense", "CC0-1.0");
        root.put("SPDXID", "SPDXRef-DOCUMENT");
        root.put("name", name);
        root.put("documentNamespace", namespace);
        ObjectNode creation = root.putObject("creationInfo");
        ArrayNode creatorList = creation.putArray("creators");
        creators.forEach(creatorList::add);
        creation.put("created", AttestJson.time(created.truncatedTo(java.time.temporal.ChronoUnit.SECONDS)));
        ArrayNode packageList = root.putArray("packages");
        List<String> ids = ids();
        for (int i = 0; i < packages.size(); i++) {
            SbomPackage pkg = packages.get(i);
            ObjectNode entry = packageList.addObject();
            entry.put("name", pkg.name());
            entry.put("SPDXID", ids.get(i));
            if (!pkg.version().isEmpty()) {
                entry.put("versionInfo", pkg.version());
            }
            entry.put("supplier", pkg.supplier().isEmpty() ? "NOASSERTION" : pkg.supplier());
            entry.put("downloadLocation", "NOASSERTION");
            entry.put("filesAnalyzed", false);
            if (!pkg.checksums().isEmpty()) {
                ArrayNode checksums = entry.putArray("checksums");
                for (Digest checksum : pkg.checksums()) {
                    checksums
                            .addObject()
                            .put("algorithm", checksum.algorithm().toUpperCase(Locale.ROOT))
                            .put("checksumValue", checksum.hex());
                }
            }
            entry.put("sourceInfo", sourceInfo(pkg));
            entry.put("licenseConcluded", "NOASSERTION");
            entry.put("licenseDeclared", pkg.license().isEmpty() ? "NOASSERTION" : pkg.license());
            entry.put("copyrightText", "NOASSERTION");
            if (!pkg.purl().isEmpty()) {
                entry.putArray("externalRefs")
                        .addObject()
                        .put("referenceCategory", "PACKAGE-MANAGER")
                        .put("referenceType", "purl")
                        .put("referenceLocator", pkg.purl());
            }
        }
        ArrayNode relationships = root.putArray("relationships");
        for (int i = 0; i < packages.size(); i++) {
            int parent = packages.get(i).containedIn();
            ObjectNode relationship = relationships.addObject();
            relationship.put("spdxElementId", parent < 0 ? "SPDXRef-DOCUMENT" : ids.get(parent));
            relationship.put("relatedSpdxElement", ids.get(i));
            relationship.put("relationshipType", parent < 0 ? "DESCRIBES" : "CONTAINS");
        }
        return AttestJson.indented(root);
    }

    private static String sourceInfo(SbomPackage pkg) {
        return switch (pkg.type()) {
            case "deb" -> "acquired package info from DPKG DB: " + pkg.location();
            case "apk" -> "acquired package info from APK DB: " + pkg.location();
            default -> "acquired package info from Java archive: " + pkg.location();
        };
    }

    /** SPDX ids ({@code [A-Za-z0-9.-]+}) from type, name and version, made unique by a counter where they repeat. */
    private List<String> ids() {
        Set<String> used = new HashSet<>();
        return packages.stream()
                .map(pkg -> {
                    String base = "SPDXRef-Package-" + pkg.type() + "-" + pkg.name()
                            + (pkg.version().isEmpty() ? "" : "-" + pkg.version());
                    base = base.replaceAll("[^A-Za-z0-9.-]", "-");
                    String id = base;
                    for (int n = 2; !used.add(id); n++) {
                        id = base + "-" + n;
                    }
                    return id;
                })
                .toList();
    }

    /** A document namespace unique to this document, from what it lists. */
    static String namespace(String name, byte[] seed) {
        Digest digest = Digest.sha256(
                (name + "\n" + new String(seed, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8));
        return "https://kiln.dev/spdxdocs/" + name + "-" + digest.hex().substring(0, 32);
    }
}
