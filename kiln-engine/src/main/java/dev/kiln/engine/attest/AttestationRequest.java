package dev.kiln.engine.attest;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The attestations a build asks for, read from its frontend options as BuildKit reads them: {@code attest:TYPE=CSV}
 * (buildctl's {@code --opt attest:provenance=mode=max}, and what buildx sends for {@code --attest},
 * {@code --provenance} and {@code --sbom}) or the build argument {@code BUILDKIT_ATTEST_TYPE}. Each value is
 * {@code key=value} pairs; {@code disabled=true} turns the type off.
 *
 * @param provenance the provenance's attributes ({@code mode}, {@code builder-id}, {@code filename}), when asked for
 * @param sbom the SBOM's attributes, when asked for
 */
public record AttestationRequest(Optional<Map<String, String>> provenance, Optional<Map<String, String>> sbom) {

    public static final String PREFIX = "attest:";
    static final String BUILD_ARG_PREFIX = "build-arg:BUILDKIT_ATTEST_";

    public static final AttestationRequest NONE = new AttestationRequest(Optional.empty(), Optional.empty());

    /** How much a provenance records: min leaves out build arguments and secrets, max adds the LLB and sources. */
    public enum Mode {
        MIN,
        MAX
    }

    public AttestationRequest {
        provenance = provenance.map(Map::copyOf);
        sbom = sbom.map(Map::copyOf);
    }

    /**
     * The request of a build's frontend options.
     *
     * @throws IllegalArgumentException for an unknown attestation type, a malformed value, an unknown provenance mode
     *     or an SLSA version other than v1
     */
    public static AttestationRequest parse(Map<String, String> opts) {
        Map<String, String> values = new LinkedHashMap<>();
        for (Map.Entry<String, String> opt : opts.entrySet()) {
            String key = opt.getKey();
            if (key.startsWith(PREFIX)) {
                values.put(key.substring(PREFIX.length()).toLowerCase(Locale.ROOT), opt.getValue());
            } else if (key.startsWith(BUILD_ARG_PREFIX)) {
                values.put(key.substring(BUILD_ARG_PREFIX.length()).toLowerCase(Locale.ROOT), opt.getValue());
            }
        }
        Optional<Map<String, String>> provenance = Optional.empty();
        Optional<Map<String, String>> sbom = Optional.empty();
        for (Map.Entry<String, String> value : values.entrySet()) {
            Map<String, String> attrs = attributes(value.getKey(), value.getValue());
            if (Boolean.parseBoolean(attrs.getOrDefault("disabled", "false"))) {
                continue;
            }
            switch (value.getKey()) {
                case "provenance" -> {
                    mode(attrs);
                    String version = attrs.getOrDefault("version", "v1");
                    if (!version.equals("v1")) {
                        throw new IllegalArgumentException("attest:provenance: version=" + version
                                + " is not supported; Kiln writes SLSA provenance v1 (version=v1)");
                    }
                    provenance = Optional.of(attrs);
                }
                case "sbom" -> sbom = Optional.of(attrs);
                default ->
                    throw new IllegalArgumentException(
                            "unknown attestation type \"" + value.getKey() + "\" (known: provenance, sbom)");
            }
        }
        return new AttestationRequest(provenance, sbom);
    }

    /** Whether any attestation is asked for. */
    public boolean any() {
        return provenance.isPresent() || sbom.isPresent();
    }

    /** The provenance's mode: max unless {@code mode=min}, as BuildKit's default ({@code full} is max). */
    public Mode provenanceMode() {
        return provenance.map(AttestationRequest::mode).orElse(Mode.MAX);
    }

    private static Mode mode(Map<String, String> attrs) {
        return switch (attrs.getOrDefault("mode", "max")) {
            case "max", "full" -> Mode.MAX;
            case "min" -> Mode.MIN;
            default ->
                throw new IllegalArgumentException(
                        "attest:provenance: invalid mode \"" + attrs.get("mode") + "\" (expected min or max)");
        };
    }

    /** {@code key=value,key=value}; a field without {@code =} is a key with an empty value. Quotes as CSV. */
    private static Map<String, String> attributes(String type, String value) {
        Map<String, String> attrs = new LinkedHashMap<>();
        if (value.isEmpty()) {
            return attrs;
        }
        for (String field : csv(type, value)) {
            int equals = field.indexOf('=');
            attrs.put(equals < 0 ? field : field.substring(0, equals), equals < 0 ? "" : field.substring(equals + 1));
        }
        return attrs;
    }

    private static java.util.List<String> csv(String type, String value) {
        java.util.List<String> fields = new java.util.ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '"') {
                if (quoted && i + 1 < value.length() && value.charAt(i + 1) == '"') {
                    field.append('"');
                    i++;
                } else {
                    quoted = !quoted;
                }
            } else if (c == ',' && !quoted) {
                fields.add(field.toString());
                field.setLength(0);
            } else {
                field.append(c);
            }
        }
        if (quoted) {
            throw new IllegalArgumentException("attest:" + type + ": unterminated quote in \"" + value + "\"");
        }
        fields.add(field.toString());
        return fields;
    }
}
