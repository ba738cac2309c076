package dev.kiln.engine.export;

import dev.kiln.core.GoBool;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * One output's attributes ({@code dest=out.tar}, {@code name=app:1}, image options) over its command line's
 * {@link ExportDefaults}, with the readings the exporters share. A missing or wrong attribute is an
 * IllegalArgumentException that names it; the caller says which output it is about.
 */
record ExportAttributes(Map<String, String> attrs, ExportDefaults defaults) {

    ExportAttributes {
        attrs = Map.copyOf(attrs);
    }

    String attr(String key) {
        return attrs.getOrDefault(key, "");
    }

    /** {@code name=} (comma-separated), else the command line's names. */
    List<String> names() {
        if (!attrs.containsKey("name")) {
            return defaults.names();
        }
        return Arrays.stream(attr("name").split(","))
                .map(String::trim)
                .filter(n -> !n.isEmpty())
                .toList();
    }

    /** A flag of the exporter's own: false when absent, else as {@link #flag} reads it. */
    boolean bool(String key) {
        String value = attrs.get(key);
        return value != null && flag(key, value);
    }

    /**
     * A flag's value as BuildKit's exporters read it: Go's strconv.ParseBool ({@code 1}, {@code t}, {@code true},
     * {@code TRUE}... and their false counterparts), and an empty value ({@code push=}) is true.
     */
    static boolean flag(String key, String value) {
        return value.isEmpty()
                || GoBool.parse(value)
                        .orElseThrow(
                                () -> new IllegalArgumentException(key + "=" + value + ": expected true or false"));
    }

    /** {@code dest=} as an archive's destination: a file, or the command line's stdout for {@code dest=-}. */
    ArchiveDestination archiveDestination() {
        String dest = attr("dest");
        if (dest.isEmpty()) {
            throw new IllegalArgumentException("needs dest=FILE (or dest=- for stdout)");
        }
        return dest.equals("-")
                ? new ArchiveDestination.ToStream(defaults.stdout())
                : new ArchiveDestination.ToFile(Path.of(dest));
    }

    /** The image attributes over {@code base}, the command line's image attributes under the output's own. */
    ImageOptions imageOptions(ImageOptions base) {
        Map<String, String> image = new LinkedHashMap<>(defaults.imageAttributes());
        image.putAll(attrs);
        image.keySet().removeIf(key -> !ImageOptions.isAttribute(key));
        return ImageOptions.parse(image, base, defaults.sourceDateEpoch());
    }

    /** Rejects an attribute that is neither one of {@code own} nor an image attribute, listing the known ones. */
    void checkImageAttributes(Set<String> own) {
        for (String key : attrs.keySet()) {
            if (!own.contains(key) && !ImageOptions.isAttribute(key)) {
                Set<String> known = new TreeSet<>(own);
                known.addAll(ImageOptions.ATTRIBUTES);
                known.addAll(List.of(
                        "annotation.KEY",
                        "annotation[PLATFORM].KEY",
                        "annotation-manifest.KEY",
                        "annotation-manifest-descriptor.KEY",
                        "annotation-index.KEY",
                        "annotation-index-descriptor.KEY"));
                throw new IllegalArgumentException(
                        "unknown attribute " + key + " (known: " + String.join(", ", known) + ")");
            }
        }
    }
}
