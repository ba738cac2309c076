package dev.kiln.engine.attest;

import dev.kiln.core.ImageReference;
import dev.kiln.core.Platform;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Package URLs ({@code pkg:TYPE/NAMESPACE/NAME@VERSION?QUALIFIERS}) with the escaping of the packageurl-go library
 * BuildKit uses: namespace segments and the name query-escaped, the version and qualifier values path-escaped. They
 * name images in statement subjects and provenance, and packages in SBOMs.
 */
final class PackageUrl {

    private PackageUrl() {}

    /**
     * BuildKit's {@code purl.RefToPURL}: the image's familiar name split into namespace and name, its tag as the
     * version ({@code latest} when it has neither tag nor digest), a {@code digest} qualifier when the reference has
     * one and a {@code platform} qualifier when a platform is given.
     */
    static String image(String type, String reference, Platform platform) {
        ImageReference ref = ImageReference.parseNormalized(reference);
        List<Map.Entry<String, String>> qualifiers = new ArrayList<>();
        String tag = ref.tag();
        if (!ref.digest().isEmpty()) {
            qualifiers.add(Map.entry("digest", ref.digest()));
        } else if (tag.isEmpty()) {
            tag = "latest";
        }
        String familiar = familiarName(ref);
        int slash = familiar.lastIndexOf('/');
        String namespace = slash < 0 ? "" : familiar.substring(0, slash);
        String name = familiar.substring(slash + 1);
        if (platform != null) {
            qualifiers.add(Map.entry("platform", platform.normalize().toString()));
        }
        return of(type, namespace, name, tag, qualifiers);
    }

    /** A package URL of the given parts; empty parts are left out. */
    static String of(
            String type, String namespace, String name, String version, List<Map.Entry<String, String>> qualifiers) {
        StringBuilder purl = new StringBuilder("pkg:").append(type).append('/');
        if (!namespace.isEmpty()) {
            for (String segment : namespace.split("/")) {
                purl.append(queryEscape(segment)).append('/');
            }
        }
        purl.append(queryEscape(name));
        if (!version.isEmpty()) {
            purl.append('@').append(pathEscape(version));
        }
        String separator = "?";
        for (Map.Entry<String, String> qualifier : qualifiers) {
            if (qualifier.getValue().isEmpty()) {
                continue;
            }
            purl.append(separator).append(qualifier.getKey()).append('=').append(pathEscape(qualifier.getValue()));
            separator = "&";
        }
        return purl.toString();
    }

    /** Docker's familiar name: docker.io/library/x is "x", docker.io/u/x is "u/x", other registries stay. */
    private static String familiarName(ImageReference ref) {
        if (ref.domain().equals("docker.io")) {
            return ref.path().startsWith("library/") && ref.path().indexOf('/', "library/".length()) < 0
                    ? ref.path().substring("library/".length())
                    : ref.path();
        }
        return ref.domain() + "/" + ref.path();
    }

    /** Go's url.QueryEscape: all but letters, digits and {@code -_.~} escaped, a space as {@code +}. */
    static String queryEscape(String text) {
        StringBuilder out = new StringBuilder();
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (unreserved(c)) {
                out.append((char) c);
            } else if (c == ' ') {
                out.append('+');
            } else {
                out.append('%').append(String.format("%02X", c));
            }
        }
        return out.toString();
    }

    /** Go's url.PathEscape: as query escaping, but {@code $&+:=@} stay and a space is {@code %20}. */
    static String pathEscape(String text) {
        StringBuilder out = new StringBuilder();
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (unreserved(c) || "$&+:=@".indexOf(c) >= 0) {
                out.append((char) c);
            } else {
                out.append('%').append(String.format("%02X", c));
            }
        }
        return out.toString();
    }

    private static boolean unreserved(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "-_.~".indexOf(c) >= 0;
    }
}
