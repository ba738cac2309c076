package dev.kiln.engine;

import dev.kiln.engine.cache.CacheExport;
import dev.kiln.engine.cache.CacheImport;
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
 * @param cacheExports where the build's cache goes once it has been exported ({@code --cache-to})
 * @param cacheImports caches the build's steps may come from when this state has not cached them ({@code --cache-from})
 */
public record BuildRequest(
        FrontendSpec frontend,
        Map<String, String> frontendOpts,
        Map<String, Path> localDirs,
        List<ExportTarget> exports,
        Map<String, byte[]> secrets,
        Map<String, Path> sshSockets,
        boolean debugOnFailure,
        Set<Entitlement> entitlements,
        List<CacheExport> cacheExports,
        List<CacheImport> cacheImports) {

    public BuildRequest {
        frontendOpts = Map.copyOf(frontendOpts);
        localDirs = Map.copyOf(localDirs);
        exports = List.copyOf(exports);
        secrets = Map.copyOf(secrets);
        sshSockets = Map.copyOf(sshSockets);
        entitlements = Set.copyOf(entitlements);
        cacheExports = List.copyOf(cacheExports);
        cacheImports = List.copyOf(cacheImports);
    }

    public BuildRequest(
            FrontendSpec frontend,
            Map<String, String> frontendOpts,
            Map<String, Path> localDirs,
            List<ExportTarget> exports,
            Map<String, byte[]> secrets,
            Map<String, Path> sshSockets,
            boolean debugOnFailure,
            Set<Entitlement> entitlements) {
        this(
                frontend,
                frontendOpts,
                localDirs,
                exports,
                secrets,
                sshSockets,
                debugOnFailure,
                entitlements,
                List.of(),
                List.of());
    }

    public BuildRequest(
            FrontendSpec frontend,
            Map<String, String> frontendOpts,
            Map<String, Path> localDirs,
            List<ExportTarget> exports) {
        this(frontend, frontendOpts, localDirs, exports, Map.of(), Map.of(), false, Set.of(), List.of(), List.of());
    }

    public BuildRequest(
            FrontendSpec frontend,
            Map<String, String> frontendOpts,
            Map<String, Path> localDirs,
            List<ExportTarget> exports,
            Map<String, byte[]> secrets,
            Map<String, Path> sshSockets) {
        this(frontend, frontendOpts, localDirs, exports, secrets, sshSockets, false, Set.of(), List.of(), List.of());
    }

    public BuildRequest withSecrets(Map<String, byte[]> values) {
        return new BuildRequest(
                frontend,
                frontendOpts,
                localDirs,
                exports,
                values,
                sshSockets,
                debugOnFailure,
                entitlements,
                cacheExports,
                cacheImports);
    }

    public BuildRequest withSshSockets(Map<String, Path> sockets) {
        return new BuildRequest(
                frontend,
                frontendOpts,
                localDirs,
                exports,
                secrets,
                sockets,
                debugOnFailure,
                entitlements,
                cacheExports,
                cacheImports);
    }

    public BuildRequest withDebugOnFailure(boolean value) {
        return new BuildRequest(
                frontend,
                frontendOpts,
                localDirs,
                exports,
                secrets,
                sshSockets,
                value,
                entitlements,
                cacheExports,
                cacheImports);
    }

    public BuildRequest withEntitlements(Set<Entitlement> granted) {
        return new BuildRequest(
                frontend,
                frontendOpts,
                localDirs,
                exports,
                secrets,
                sshSockets,
                debugOnFailure,
                granted,
                cacheExports,
                cacheImports);
    }

    /** The same build, exporting its cache to {@code to} and taking steps from {@code from}. */
    public BuildRequest withCache(List<CacheExport> to, List<CacheImport> from) {
        return new BuildRequest(
                frontend,
                frontendOpts,
                localDirs,
                exports,
                secrets,
                sshSockets,
                debugOnFailure,
                entitlements,
                to,
                from);
    }

    /** Never prints secret values. */
    @Override
    public String toString() {
        return "BuildRequest[" + frontend + ", opts=" + frontendOpts + ", locals=" + localDirs + ", exports=" + exports
                + ", secrets=" + secrets.keySet() + ", ssh=" + sshSockets.keySet() + ", allow=" + entitlements
                + ", cacheTo=" + cacheExports + ", cacheFrom=" + cacheImports + "]";
    }
}
