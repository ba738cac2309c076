package dev.kiln.oci.registry;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Token scopes ({@code type:name:action,action}), merged so each resource is asked for once with all its actions:
 * "repository:app:pull" and "repository:app:pull,push" become "repository:app:pull,push".
 */
final class Scopes {
    private Scopes() {}

    static List<String> merge(Collection<String> scopes) {
        Map<String, TreeSet<String>> actions = new TreeMap<>();
        List<String> opaque = new ArrayList<>();
        for (String scope : scopes) {
            if (scope == null || scope.isBlank()) {
                continue;
            }
            int first = scope.indexOf(':');
            int last = scope.lastIndexOf(':');
            if (first < 0 || last == first) {
                opaque.add(scope);
                continue;
            }
            TreeSet<String> granted = actions.computeIfAbsent(scope.substring(0, last), resource -> new TreeSet<>());
            for (String action : scope.substring(last + 1).split(",")) {
                if (!action.isEmpty()) {
                    granted.add(action);
                }
            }
        }
        List<String> merged = new ArrayList<>();
        actions.forEach((resource, granted) -> merged.add(resource + ":" + String.join(",", granted)));
        new TreeSet<>(opaque).forEach(merged::add);
        return merged;
    }
}
