package dev.kiln.cli;

import dev.kiln.engine.export.ExportDefaults;
import dev.kiln.engine.export.ExportTarget;
import dev.kiln.engine.export.Exporters;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One {@code --output} value, as docker build and buildctl write it: {@code type=local,dest=out}, or a bare path for
 * a local directory. Fields are CSV, so a value with commas is quoted whole ({@code "name=a:1,b:1"}); a key given
 * twice (two {@code name=}) keeps both values, comma-separated. What the attributes mean is each exporter's business
 * ({@link Exporters}).
 */
record OutputSpec(String type, Map<String, String> attrs) {

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

    String attr(String key) {
        return attrs.getOrDefault(key, "");
    }

    /**
     * The export target this output names, with nothing from the rest of the command line but these.
     *
     * @param stdout        where {@code dest=-} writes
     * @param tags          the {@code -t} names: an image output without {@code name=} takes them
     * @param push          {@code --push}: an image output pushes
     * @param epochFallback SOURCE_DATE_EPOCH from a build argument or the environment, used when the output has no
     *                      {@code source-date-epoch=}
     */
    ExportTarget target(OutputStream stdout, List<String> tags, boolean push, Optional<String> epochFallback)
            throws UsageException {
        return target(new ExportDefaults(stdout, tags, push, epochFallback, Map.of()));
    }

    /** The export target this output names, read by the exporter of its type over the command line's defaults. */
    ExportTarget target(ExportDefaults defaults) throws UsageException {
        if (!Exporters.types().contains(type)) {
            throw new UsageException(
                    "--output: unknown type " + type + " (supported: " + String.join(", ", Exporters.types()) + ")");
        }
        try {
            return Exporters.resolve(type, attrs, defaults);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--output type=" + type + ": " + e.getMessage());
        }
    }
}
