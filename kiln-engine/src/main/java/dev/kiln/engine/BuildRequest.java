package dev.kiln.engine;

import dev.kiln.engine.export.ExportTarget;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * One build: what to run, its options, the local directories it may read (by name, as
 * {@code local://name} sources refer to them), the secrets and SSH agents its steps may use, and
 * where its result goes.
 *
 * @param secrets    secret values by id, for {@code RUN --mount=type=secret}
 * @param sshSockets SSH agent sockets by id, for {@code RUN --mount=type=ssh}
 * @param debugOnFailure when a RUN step fails, keep its container's state and hand a {@link DebugShell} to the
 *                       caller with the {@link BuildException}
 */
public record BuildRequest(
        FrontendSpec frontend,
        Map<String, String> frontendOpts,
        Map<String, Path> localDirs,
        List<ExportTarget> exports,
        Map<String, byte[]> secrets,
        Map<String, Path> sshSockets,
        boolean debugOnFailure) {

    public BuildRequest {
        frontendOpts = Map.copyOf(frontendOpts);
        localDirs = Map.copyOf(localDirs);
        exports = List.copyOf(exports);
        secrets = Map.copyOf(secrets);
        sshSockets = Map.copyOf(sshSockets);
    }

    public BuildRequest(FrontendSpec frontend, Map<String, String> frontendOpts, Map<String, Path> localDirs,
            List<ExportTarget> exports) {
        this(frontend, frontendOpts, localDirs, exports, Map.of(), Map.of(), false);
    }

    public BuildRequest(FrontendSpec frontend, Map<String, String> frontendOpts, Map<String, Path> localDirs,
            List<ExportTarget> exports, Map<String, byte[]> secrets, Map<String, Path> sshSockets) {
        this(frontend, frontendOpts, localDirs, exports, secrets, sshSockets, false);
    }

    public BuildRequest withSecrets(Map<String, byte[]> values) {
        return new BuildRequest(frontend, frontendOpts, localDirs, exports, values, sshSockets, debugOnFailure);
    }

    public BuildRequest withSshSockets(Map<String, Path> sockets) {
        return new BuildRequest(frontend, frontendOpts, localDirs, exports, secrets, sockets, debugOnFailure);
    }

    public BuildRequest withDebugOnFailure(boolean value) {
        return new BuildRequest(frontend, frontendOpts, localDirs, exports, secrets, sshSockets, value);
    }

    /** Never prints secret values. */
    @Override
    public String toString() {
        return "BuildRequest[" + frontend + ", opts=" + frontendOpts + ", locals=" + localDirs + ", exports=" + exports
                + ", secrets=" + secrets.keySet() + ", ssh=" + sshSockets.keySet() + "]";
    }
}
