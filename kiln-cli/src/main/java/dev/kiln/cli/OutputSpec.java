package dev.kiln.cli;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One {@code --output} value, as docker build and buildctl write it: {@code type=local,dest=out},
 * or a bare path for a local directory.
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
        for (String field : text.split(",")) {
            int eq = field.indexOf('=');
            if (eq <= 0) {
                throw new UsageException("--output: expected key=value, got '" + field + "' in '" + text + "'");
            }
            attrs.put(field.substring(0, eq).trim(), field.substring(eq + 1).trim());
        }
        String type = attrs.remove("type");
        if (type == null) {
            throw new UsageException("--output: missing type= in '" + text + "' (for example type=local,dest=out)");
        }
        return new OutputSpec(type, attrs);
    }

    String attr(String key) {
        return attrs.getOrDefault(key, "");
    }
}
