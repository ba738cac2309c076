package dev.kiln.cli;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One {@code --cache-to}/{@code --export-cache} or {@code --cache-from}/{@code --import-cache} value: a cache type and
 * its attributes, as docker buildx and buildctl write them ({@code type=local,dest=DIR,mode=max}); a value without
 * {@code =} is docker's shorthand for a registry reference. Types are checked where the cache is made (the engine
 * or the daemon), so the client loads no engine class.
 */
record CacheSpec(String type, Map<String, String> attrs) {

    CacheSpec {
        attrs = Map.copyOf(attrs);
    }

    /** @param flag the flag the value came with, for messages */
    static CacheSpec parse(String flag, String text) throws UsageException {
        if (!text.contains("=")) {
            return new CacheSpec("registry", Map.of("ref", text));
        }
        Map<String, String> attrs = new LinkedHashMap<>();
        for (String field : text.split(",")) {
            int eq = field.indexOf('=');
            if (eq <= 0) {
                throw new UsageException(flag + ": expected key=value, got '" + field + "' in '" + text + "'");
            }
            attrs.put(field.substring(0, eq).trim(), field.substring(eq + 1).trim());
        }
        String type = attrs.remove("type");
        if (type == null) {
            throw new UsageException(flag + ": missing type= in '" + text + "' (for example type=local,dest=DIR)");
        }
        return new CacheSpec(type, attrs);
    }
}
