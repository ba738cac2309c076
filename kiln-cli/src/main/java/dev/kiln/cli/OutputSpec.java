package dev.kiln.cli;

import dev.kiln.engine.export.ArchiveDestination;
import dev.kiln.engine.export.ExportTarget;
import dev.kiln.engine.export.ImageOptions;

import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * One {@code --output} value, as docker build and buildctl write it: {@code type=local,dest=out}, or a bare path for
 * a local directory. Fields are CSV, so a value with commas is quoted whole ({@code "name=a:1,b:1"}); a key given
 * twice (two {@code name=}) keeps both values, comma-separated.
 */
record OutputSpec(String type, Map<String, String> attrs) {

    private static final String TYPES = "local, tar, image, registry, oci, docker";
    private static final Set<String> IMAGE_TYPES = Set.of("image", "registry", "oci", "docker");

    OutputSpec {
        attrs = Map.copyOf(attrs);
    }

    static OutputSpec parse(String text) throws UsageException {
        if (!text.contains("=")) {
            return new OutputSpec(text.equals("-") ? "tar" : "local", Map.of("dest", text));
        }
        Map<String, String> attrs = new LinkedHashMap<>();
        for (String field : fields(text)) {
            int eq = field.indexOf('=');
            if (eq <= 0) {
                throw new UsageException("--output: expected key=value, got '" + field + "' in '" + text + "'");
            }
            String key = field.substring(0, eq).trim();
            String value = field.substring(eq + 1).trim();
            attrs.merge(key, value, (first, second) -> first + "," + second);
        }
        String type = attrs.remove("type");
        if (type == null) {
            throw new UsageException("--output: missing type= in '" + text + "' (for example type=local,dest=out)");
        }
        return new OutputSpec(type, attrs);
    }

    /** Splits CSV fields: a field that starts with a quote runs to its closing quote, "" inside it is a quote. */
    private static List<String> fields(String text) throws UsageException {
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        boolean fieldStart = true;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < text.length() && text.charAt(i + 1) == '"') {
                    field.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    field.append(c);
                }
            } else if (c == '"' && fieldStart) {
                quoted = true;
                fieldStart = false;
            } else if (c == ',') {
                fields.add(field.toString());
                field.setLength(0);
                fieldStart = true;
            } else {
                field.append(c);
                fieldStart = false;
            }
        }
        if (quoted) {
            throw new UsageException("--output: unclosed quote in '" + text + "'");
        }
        fields.add(field.toString());
        return fields;
    }

    /**
     * This output with {@code extra} attributes (the command line's --annotation) where it is an image output and
     * does not set them itself; other outputs have no use for them.
     */
    OutputSpec withImageAttributes(Map<String, String> extra) {
        if (extra.isEmpty() || !IMAGE_TYPES.contains(type)) {
            return this;
        }
        Map<String, String> merged = new LinkedHashMap<>(extra);
        merged.putAll(attrs);
        return new OutputSpec(type, merged);
    }

    String attr(String key) {
        return attrs.getOrDefault(key, "");
    }

    /**
     * The export target this output names.
     *
     * @param stdout        where {@code dest=-} writes
     * @param tags          the {@code -t} names: an image output without {@code name=} takes them
     * @param push          {@code --push}: an image output pushes
     * @param epochFallback SOURCE_DATE_EPOCH from a build argument or the environment, used when the output has no
     *                      {@code source-date-epoch=}
     */
    ExportTarget target(OutputStream stdout, List<String> tags, boolean push, Optional<String> epochFallback)
            throws UsageException {
        String dest = attr("dest");
        try {
            return switch (type) {
                case "local" -> {
                    if (dest.isEmpty()) {
                        throw new UsageException("--output type=local needs dest=DIR");
                    }
                    yield new ExportTarget.LocalDirectory(Path.of(dest).toAbsolutePath());
                }
                case "tar" -> dest.isEmpty() || dest.equals("-") ? new ExportTarget.TarStream(stdout)
                        : new ExportTarget.TarFile(Path.of(dest).toAbsolutePath());
                case "image", "registry" -> {
                    checkAttributes(Set.of("name", "push"));
                    boolean pushed = type.equals("registry") || push || bool("push");
                    yield new ExportTarget.Image(names(tags), pushed,
                            ImageOptions.parse(imageAttributes(), ImageOptions.defaults(), epochFallback));
                }
                case "oci", "docker" -> {
                    checkAttributes(Set.of("name", "dest"));
                    if (dest.isEmpty()) {
                        throw new UsageException("--output type=" + type + " needs dest=FILE (or dest=- for stdout)");
                    }
                    ArchiveDestination destination = dest.equals("-") ? new ArchiveDestination.ToStream(stdout)
                            : new ArchiveDestination.ToFile(Path.of(dest));
                    yield type.equals("oci")
                            ? new ExportTarget.OciArchive(destination, names(tags),
                                    ImageOptions.parse(imageAttributes(), ImageOptions.defaults(), epochFallback))
                            : new ExportTarget.DockerArchive(destination, names(tags),
                                    ImageOptions.parse(imageAttributes(), ImageOptions.dockerDefaults(), epochFallback));
                }
                default -> throw new UsageException("--output: unknown type " + type + " (supported: " + TYPES + ")");
            };
        } catch (IllegalArgumentException e) {
            throw new UsageException("--output type=" + type + ": " + e.getMessage());
        }
    }

    private List<String> names(List<String> tags) {
        if (!attrs.containsKey("name")) {
            return tags;
        }
        return java.util.Arrays.stream(attr("name").split(",")).map(String::trim).filter(n -> !n.isEmpty()).toList();
    }

    private boolean bool(String key) throws UsageException {
        String value = attr(key);
        return switch (value) {
            case "true" -> true;
            case "", "false" -> false;
            default -> throw new UsageException("--output type=" + type + ": " + key + "=" + value
                    + ": expected true or false");
        };
    }

    private Map<String, String> imageAttributes() {
        Map<String, String> image = new LinkedHashMap<>(attrs);
        image.keySet().removeIf(key -> !ImageOptions.isAttribute(key));
        return image;
    }

    private void checkAttributes(Set<String> own) throws UsageException {
        for (String key : attrs.keySet()) {
            if (!own.contains(key) && !ImageOptions.isAttribute(key)) {
                Set<String> known = new TreeSet<>(own);
                known.addAll(ImageOptions.ATTRIBUTES);
                known.add("annotation.KEY");
                throw new UsageException("--output type=" + type + ": unknown attribute " + key + " (known: "
                        + String.join(", ", known) + ")");
            }
        }
    }
}
