package dev.kiln.gateway;

import dev.kiln.core.GoJson;
import dev.kiln.core.Platform;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a build produces: a default reference, named references (one per platform, say), metadata such as an image
 * config, and attestations by platform id (SBOMs, provenance) that image exports store beside the images, as in
 * BuildKit's gateway Result. Immutable: every {@code with} call returns a new result.
 */
public final class Result {

    /**
     * The metadata key that lists the platform of each named reference (BuildKit's
     * {@code exptypes.ExporterPlatformsKey}); image exporters make one manifest per entry.
     */
    public static final String PLATFORMS_KEY = "refs.platforms";

    private static final Result EMPTY = new Result(null, Map.of(), Map.of(), Map.of());

    private final Reference ref;
    private final Map<String, Reference> refs;
    private final Map<String, byte[]> metadata;
    private final Map<String, List<Attestation>> attestations;

    private Result(
            Reference ref,
            Map<String, Reference> refs,
            Map<String, byte[]> metadata,
            Map<String, List<Attestation>> attestations) {
        this.ref = ref;
        this.refs = refs;
        this.metadata = metadata;
        this.attestations = attestations;
    }

    public static Result empty() {
        return EMPTY;
    }

    public static Result of(Reference ref) {
        return EMPTY.withRef(ref);
    }

    /** The default reference; empty for a result with only named references or none. */
    public Optional<Reference> ref() {
        return Optional.ofNullable(ref);
    }

    public Map<String, Reference> refs() {
        return refs;
    }

    /** Metadata values are copied on the way in and out, so a result never changes under its holder. */
    public Map<String, byte[]> metadata() {
        Map<String, byte[]> copy = new LinkedHashMap<>();
        metadata.forEach((k, v) -> copy.put(k, v.clone()));
        return copy;
    }

    public Optional<byte[]> metadata(String key) {
        return Optional.ofNullable(metadata.get(key)).map(byte[]::clone);
    }

    public Result withRef(Reference reference) {
        return new Result(reference, refs, metadata, attestations);
    }

    public Result withRef(String name, Reference reference) {
        Map<String, Reference> next = new LinkedHashMap<>(refs);
        next.put(name, reference);
        return new Result(ref, Map.copyOf(next), metadata, attestations);
    }

    public Result withMetadata(String key, byte[] value) {
        Map<String, byte[]> next = new LinkedHashMap<>(metadata);
        next.put(key, value.clone());
        return new Result(ref, refs, java.util.Collections.unmodifiableMap(next), attestations);
    }

    /**
     * This result with {@value #PLATFORMS_KEY} metadata naming {@code platforms}' ids (the names of their
     * references) and platforms, in order, as BuildKit's exptypes.Platforms JSON. Every frontend that builds for
     * several platforms writes it, so it is written here once.
     */
    public Result withPlatforms(Map<String, Platform> platforms) {
        StringBuilder json = new StringBuilder("{\"platforms\":[");
        String separator = "";
        for (Map.Entry<String, Platform> entry : platforms.entrySet()) {
            Platform platform = entry.getValue();
            json.append(separator).append("{\"id\":").append(GoJson.string(entry.getKey()));
            json.append(",\"platform\":{\"architecture\":").append(GoJson.string(platform.architecture()));
            json.append(",\"os\":").append(GoJson.string(platform.os()));
            if (!platform.variant().isEmpty()) {
                json.append(",\"variant\":").append(GoJson.string(platform.variant()));
            }
            json.append("}}");
            separator = ",";
        }
        json.append("]}");
        return withMetadata(PLATFORMS_KEY, json.toString().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The attestations by platform id ({@code linux/amd64}), each list in the order its exports store it. A result
     * with one default reference keys its attestations by the platform of its image.
     */
    public Map<String, List<Attestation>> attestations() {
        return attestations;
    }

    /** The result with {@code attestation} added to platform {@code platformId}'s list. */
    public Result withAttestation(String platformId, Attestation attestation) {
        Map<String, List<Attestation>> next = new LinkedHashMap<>(attestations);
        List<Attestation> list = new java.util.ArrayList<>(next.getOrDefault(platformId, List.of()));
        list.add(attestation);
        next.put(platformId, List.copyOf(list));
        return new Result(ref, refs, metadata, java.util.Collections.unmodifiableMap(next));
    }

    /** The result with platform {@code platformId}'s attestations replaced by {@code list}. */
    public Result withAttestations(String platformId, List<Attestation> list) {
        Map<String, List<Attestation>> next = new LinkedHashMap<>(attestations);
        next.put(platformId, List.copyOf(list));
        return new Result(ref, refs, metadata, java.util.Collections.unmodifiableMap(next));
    }

    @Override
    public String toString() {
        return "Result[ref=" + ref + ", refs=" + refs.keySet() + ", metadata=" + metadata.keySet() + "]";
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Result other)) {
            return false;
        }
        if (!java.util.Objects.equals(ref, other.ref)
                || !refs.equals(other.refs)
                || !metadata.keySet().equals(other.metadata.keySet())
                || !attestations.keySet().equals(other.attestations.keySet())) {
            return false;
        }
        return metadata.entrySet().stream().allMatch(e -> Arrays.equals(e.getValue(), other.metadata.get(e.getKey())));
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(ref, refs, metadata.keySet());
    }
}
