package dev.kiln.engine.attest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.core.Platform;
import dev.kiln.engine.export.ExportLog;
import dev.kiln.engine.gateway.SolvedReference;
import dev.kiln.gateway.Attestation;
import dev.kiln.gateway.GatewayException;
import dev.kiln.gateway.Reference;
import dev.kiln.gateway.Result;
import dev.kiln.solver.ProgressListener;
import dev.kiln.worker.ReadOnlyView;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Adds the attestations a build asked for to its result before the export, as BuildKit's SBOM and provenance
 * processors do: each platform's SBOM (the frontend's scan targets, else the platform's own filesystem) and its
 * provenance, in that order. Every attestation leaves here as an in-toto predicate with its bytes, so exporters only
 * store them.
 */
public final class ResultAttestations {

    /** The metadata key of the image config a frontend hands over (also per platform, with {@code /ID}). */
    private static final String CONFIG_KEY = "containerimage.config";

    private ResultAttestations() {}

    /**
     * The result with its attestations: frontends' SBOM scan targets scanned, an SBOM of each platform's files when
     * asked for and the frontend made none, and a provenance when asked for.
     */
    public static Result attach(
            Result result,
            AttestationRequest request,
            ProvenanceRecorder recorder,
            SbomScanner scanner,
            ProgressListener progress)
            throws IOException, InterruptedException {
        Map<String, Reference> platforms = platforms(result);
        Result attested = result;
        for (Map.Entry<String, Reference> platform : platforms.entrySet()) {
            String id = platform.getKey();
            Reference ref = platform.getValue();
            // a single-image result has one platform, whatever key its frontend filed its attestations under
            List<Attestation> list = new ArrayList<>(
                    result.refs().isEmpty()
                            ? result.attestations().values().stream()
                                    .flatMap(List::stream)
                                    .toList()
                            : result.attestations().getOrDefault(id, List.of()));
            if (request.sbom().isPresent()
                    && list.stream().noneMatch(each -> each.predicateType().equals(Attestation.SPDX))) {
                list.addFirst(Attestation.sbomScan("sbom", ref));
            }
            List<Attestation> made = new ArrayList<>();
            for (Attestation each : list) {
                made.add(each.kind() == Attestation.Kind.SBOM_SCAN ? scan(id, each, scanner, progress) : each);
            }
            // the core SBOM first, as BuildKit sorts them
            List<Attestation> sorted = new ArrayList<>(
                    made.stream().filter(Attestation::isCoreSbom).toList());
            made.stream().filter(each -> !each.isCoreSbom()).forEach(sorted::add);
            if (request.provenance().isPresent()) {
                Map<String, String> attrs = request.provenance().get();
                byte[] predicate = ExportLog.run(progress, "[" + id + "] generating provenance", log -> {
                            SolvedReference solved = solved(ref);
                            byte[] json = recorder.predicate(
                                    solved == null ? null : solved.graph(),
                                    solved == null ? null : solved.output(),
                                    request.provenanceMode(),
                                    attrs,
                                    Instant.now());
                            return Map.of("json", new String(json, java.nio.charset.StandardCharsets.UTF_8));
                        })
                        .get("json")
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8);
                sorted.add(Attestation.inToto(
                        attrs.getOrDefault("filename", "provenance.json"),
                        ProvenanceRecorder.PREDICATE_TYPE,
                        predicate,
                        Map.of(
                                Attestation.REASON,
                                "provenance",
                                "inline-only",
                                attrs.getOrDefault("inline-only", "false"))));
            }
            if (result.refs().isEmpty()) {
                for (String key : result.attestations().keySet()) {
                    attested = attested.withAttestations(key, List.of());
                }
            }
            attested = attested.withAttestations(id, sorted);
        }
        return attested;
    }

    /** Scans one SBOM target's files into an SPDX predicate, as one progress step. */
    private static Attestation scan(String id, Attestation target, SbomScanner scanner, ProgressListener progress)
            throws IOException, InterruptedException {
        String base = target.path().substring(target.path().lastIndexOf('/') + 1);
        String name = base.contains(".") ? base.substring(0, base.indexOf('.')) : base;
        Map<String, String> facts = ExportLog.run(progress, "[" + id + "] generating " + name + " using kiln", log -> {
            SpdxDocument document;
            SolvedReference solved = solved(target.ref().orElse(null));
            if (solved == null) {
                document = scanner.scan(java.nio.file.Files.createTempDirectory("kiln-scratch-"), name, Instant.now());
            } else {
                try (ReadOnlyView view = solved.open()) {
                    document = scanner.scan(view.root(), name, Instant.now());
                }
            }
            log.line(document.packages().size() + " packages");
            return Map.of("json", new String(document.toJson(), java.nio.charset.StandardCharsets.UTF_8));
        });
        return Attestation.inToto(
                target.path(),
                Attestation.SPDX,
                facts.get("json").getBytes(java.nio.charset.StandardCharsets.UTF_8),
                target.metadata());
    }

    private static SolvedReference solved(Reference ref) {
        if (ref == null) {
            return null;
        }
        if (!(ref instanceof SolvedReference solved)) {
            throw new GatewayException("cannot attest a reference made by another engine: " + ref);
        }
        return solved;
    }

    /**
     * The result's platforms by id with their references: the per-platform references of a multi-platform result,
     * else the one reference under the platform of its image config (this machine's when it has none), which is
     * the key its exports look the attestations up by.
     */
    public static Map<String, Reference> platforms(Result result) {
        Map<String, Reference> platforms = new LinkedHashMap<>();
        if (!result.refs().isEmpty()) {
            platforms.putAll(result.refs());
            return platforms;
        }
        platforms.put(singlePlatform(result).toString(), result.ref().orElse(null));
        return platforms;
    }

    /** The platform of a single-image result: its config's, or this machine's. */
    public static Platform singlePlatform(Result result) {
        Optional<byte[]> config = result.metadata(CONFIG_KEY);
        if (config.isPresent()) {
            try {
                JsonNode json = AttestJson.parse(config.get());
                String os = json.path("os").asText("");
                String arch = json.path("architecture").asText("");
                if (!os.isEmpty() && !arch.isEmpty()) {
                    return Platform.of(os, arch, json.path("variant").asText(""))
                            .normalize();
                }
            } catch (IllegalArgumentException unreadable) {
                // the export reports an unreadable config; here this machine's platform will do
            }
        }
        return Platform.current().normalize();
    }
}
