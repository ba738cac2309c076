package dev.kiln.gateway;

import dev.kiln.llb.pb.Definition;
import java.util.List;
import java.util.Map;

/**
 * Either a definition to solve or a frontend to run (with its options and inputs).
 *
 * @param evaluate       compute the result now instead of returning a lazy reference
 * @param definition     the LLB to solve; null when {@code frontend} is set
 * @param frontend       the name of a frontend to run, such as {@code dockerfile.v0}; empty for none
 */
public record SolveRequest(
        boolean evaluate,
        Definition definition,
        String frontend,
        Map<String, String> frontendOpt,
        Map<String, Definition> frontendInputs,
        List<CacheOptionsEntry> cacheImports) {

    public SolveRequest {
        frontend = frontend == null ? "" : frontend;
        frontendOpt = Map.copyOf(frontendOpt == null ? Map.of() : frontendOpt);
        frontendInputs = Map.copyOf(frontendInputs == null ? Map.of() : frontendInputs);
        cacheImports = List.copyOf(cacheImports == null ? List.of() : cacheImports);
        if (definition == null && frontend.isEmpty()) {
            throw new IllegalArgumentException("a solve request needs a definition or a frontend");
        }
    }

    public static SolveRequest of(Definition definition) {
        return new SolveRequest(false, definition, "", Map.of(), Map.of(), List.of());
    }

    public static SolveRequest frontend(String name, Map<String, String> options) {
        return new SolveRequest(false, null, name, options, Map.of(), List.of());
    }

    public SolveRequest withEvaluate(boolean value) {
        return new SolveRequest(value, definition, frontend, frontendOpt, frontendInputs, cacheImports);
    }

    public SolveRequest withFrontendInputs(Map<String, Definition> inputs) {
        return new SolveRequest(evaluate, definition, frontend, frontendOpt, inputs, cacheImports);
    }

    public SolveRequest withCacheImports(List<CacheOptionsEntry> imports) {
        return new SolveRequest(evaluate, definition, frontend, frontendOpt, frontendInputs, imports);
    }
}
