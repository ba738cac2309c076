package dev.kiln.engine;

import dev.kiln.engine.export.ExportTarget;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One build: what to run, its options, the local directories it may read (by name, as
 * {@code local://name} sources refer to them), the secrets and SSH agents its steps may use, and
 * where its result goes.
 *
 * @param secrets    secret values by id, for {@code RUN --mount=type=secret}
 * @param sshSockets SSH agent sockets by id, for {@code RUN --mount=type=ssh}
 * @param debugOnFailure when a RUN step fails, keep its container's state and hand a {@link DebugShell} to the
 *                       caller with the {@link BuildException}
 * @param entitlements the privileges the build's steps may use ({@code --allow}); none by default
 */
public record BuildRequest(
        FrontendSpec frontend,
        Map<String, String> frontendOpts,
        Map<String, Path> localDirs,
        List<ExportTarget> exports,
        Map<String, byte[]> secrets,
        Map<String, Path> sshSockets,
        boolean debugOnFailure,
        Set<Entitlement> entitlements) {

    public BuildRequest {
        frontendOpts = Map.copyOf(frontendOpts);
        localDirs = Map.copyOf(localDirs);
        exports = List.copyOf(exports);
        secrets = Map.copyOf(secrets);
        sshSockets = Map.copyOf(sshSockets);
        entitlements = Set.copyOf(entitlements);
    }

    public BuildRequest(FrontendSpec frontend, Map<String, String> frontendOpts, Map<String, Path> localDirs,
            List<ExportTarget> exports) {
        this(frontend, frontendOpts, localDirs, exports, Map.of(), Map.of(), false, Set.of());
    }

    public BuildRequest(FrontendSpec frontend, Map<String, String> frontendOpts, Map<String, Path> localDirs,
            List<ExportTarget> exports, Map<String, byte[]> secrets, Map<String, Path> sshSockets) {
        this(frontend, frontendOpts, localDirs, exports, secrets, sshSockets, false, Set.of());
    }

    public BuildRequest withSecrets(Map<String, byte[]> values) {
        return new BuildRequest(frontend, frontendOpts, localDirs, exports, values, sshSockets, debugOnFailure, entitlements);
    }

    public BuildRequest withSshSockets(Map<String, Path> sockets) {
        return new BuildRequest(frontend, frontendOpts, localDirs, exports, secrets, sockets, debugOnFailure, entitlements);
    }

    public BuildRequest withDebugOnFailure(boolean value) {
        return new BuildRequest(frontend, frontendOpts, localDirs, exports, secrets, sshSockets, value, entitlements);
    }

    public BuildRequest withEntitlements(Set<Entitlement> granted) {
        return new BuildRequest(frontend, frontendOpts, localDirs, exports, secrets, sshSockets, debugOnFailure, granted);
    }

    /** Never prints secret values. */
    @Override
    public String toString() {
        return "BuildRequest[" + frontend + ", opts=" + frontendOpts + ", locals=" + localDirs + ", exports=" + exports
                + ", secrets=" + secrets.keySet() + ", ssh=" + sshSockets.keySet() + ", allow=" + entitlements + "]";
    }
}
