package dev.kiln.gateway;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The facts of one build as a frontend sees them.
 *
 * @param opts      frontend options (build args, target, filename, ...)
 * @param llbCaps   the LLB capabilities the engine supports, by BuildKit's names
 * @param caps      the gateway capabilities the engine supports
 */
public record BuildOpts(
        Map<String, String> opts,
        String sessionId,
        List<WorkerInfo> workers,
        String product,
        Set<String> llbCaps,
        Set<String> caps) {

    public BuildOpts {
        opts = Map.copyOf(opts);
        workers = List.copyOf(workers);
        llbCaps = Set.copyOf(llbCaps);
        caps = Set.copyOf(caps);
    }
}
