package dev.kiln.engine;

import dev.kiln.engine.export.ExportTarget;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * One build: what to run, its options, the local directories it may read (by name, as
 * {@code local://name} sources refer to them) and where its result goes.
 */
public record BuildRequest(
        FrontendSpec frontend,
        Map<String, String> frontendOpts,
        Map<String, Path> localDirs,
        List<ExportTarget> exports) {

    public BuildRequest {
        frontendOpts = Map.copyOf(frontendOpts);
        localDirs = Map.copyOf(localDirs);
        exports = List.copyOf(exports);
    }
}
