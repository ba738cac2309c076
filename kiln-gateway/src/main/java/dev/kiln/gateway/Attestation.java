package dev.kiln.gateway;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A statement about one platform's share of a result that the image exports store beside the image, as BuildKit's
 * gateway {@code Attestation}: an in-toto predicate, given as bytes, or a filesystem the engine's SBOM scanner is to
 * read. BuildKit's frontends run a scanner image and hand back its output; Kiln's scanner is part of the engine, so
 * a frontend names what to scan (the final stage, and the stages {@code BUILDKIT_SBOM_SCAN_STAGE} selects) and the
 * engine turns each {@link Kind#SBOM_SCAN} into an {@link Kind#IN_TOTO} SPDX predicate before the export.
 *
 * @param kind what this is
 * @param path the statement's file name in a local or tar export ({@code sbom.spdx.json}); its base name also
 *     tells the core SBOM ({@code sbom.*}) from a stage's ({@code sbom-STAGE.*}), as in BuildKit
 * @param predicateType the in-toto predicate type ({@code https://spdx.dev/Document})
 * @param ref the filesystem to scan, for {@link Kind#SBOM_SCAN}
 * @param content the predicate's JSON, for {@link Kind#IN_TOTO}
 * @param metadata BuildKit's attestation metadata ({@code reason}, {@code sbom-core}, {@code inline-only})
 */
public record Attestation(
        Kind kind,
        String path,
        String predicateType,
        Optional<Reference> ref,
        Optional<byte[]> content,
        Map<String, String> metadata) {

    /** BuildKit's metadata key saying why the attestation is there ({@code sbom}, {@code provenance}). */
    public static final String REASON = "reason";

    /** BuildKit's metadata key naming the core SBOM's base name ({@code sbom}). */
    public static final String SBOM_CORE = "sbom-core";

    /** The in-toto predicate type of an SPDX document. */
    public static final String SPDX = "https://spdx.dev/Document";

    /** What an attestation holds. */
    public enum Kind {
        /** An in-toto predicate, in {@link #content()}. */
        IN_TOTO,
        /** A filesystem, in {@link #ref()}, whose SBOM the engine makes. */
        SBOM_SCAN
    }

    public Attestation {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(predicateType, "predicateType");
        ref = ref == null ? Optional.empty() : ref;
        content = content == null ? Optional.empty() : content.map(byte[]::clone);
        metadata = Map.copyOf(metadata);
        if (path.isEmpty()) {
            throw new IllegalArgumentException("an attestation needs a path");
        }
        if (kind == Kind.IN_TOTO && content.isEmpty()) {
            throw new IllegalArgumentException("an in-toto attestation needs its predicate");
        }
    }

    /** An in-toto predicate of {@code predicateType}, written as {@code path} by file exports. */
    public static Attestation inToto(
            String path, String predicateType, byte[] predicate, Map<String, String> metadata) {
        return new Attestation(Kind.IN_TOTO, path, predicateType, Optional.empty(), Optional.of(predicate), metadata);
    }

    /**
     * The SBOM of {@code ref}'s files: {@code name} is {@code sbom} for the image's own filesystem and
     * {@code sbom-STAGE} for a stage's, as BuildKit's scanner names its documents.
     */
    public static Attestation sbomScan(String name, Reference ref) {
        return new Attestation(
                Kind.SBOM_SCAN,
                name + ".spdx.json",
                SPDX,
                Optional.ofNullable(ref),
                Optional.empty(),
                Map.of(REASON, "sbom", SBOM_CORE, "sbom"));
    }

    /** The predicate's bytes (a copy); empty for a scan not made yet. */
    @Override
    public Optional<byte[]> content() {
        return content.map(byte[]::clone);
    }

    /** Whether this is the image's own SBOM rather than a stage's: its base name is the core name. */
    public boolean isCoreSbom() {
        String core = metadata.get(SBOM_CORE);
        if (core == null || !predicateType.equals(SPDX)) {
            return false;
        }
        String base = path.substring(path.lastIndexOf('/') + 1);
        int dot = base.indexOf('.');
        return (dot < 0 ? base : base.substring(0, dot)).equals(core);
    }
}
