package dev.kiln.gateway;

import java.util.Map;

/** One cache import or export: a type such as {@code registry} or {@code local} and its attributes. */
public record CacheOptionsEntry(String type, Map<String, String> attrs) {

    public CacheOptionsEntry {
        attrs = Map.copyOf(attrs == null ? Map.of() : attrs);
    }
}
