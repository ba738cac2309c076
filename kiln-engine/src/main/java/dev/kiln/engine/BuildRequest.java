package dev.kiln.engine;

import dev.kiln.engine.cache.CacheExport;
import dev.kiln.engine.cache.CacheImport;
import dev.kiln.engine.export.ExportTarget;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

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
        return with(draft -> draft.secrets = values);
    }

    public BuildRequest withSshSockets(Map<String, Path> sockets) {
        return with(draft -> draft.sshSockets = sockets);
    }

    public BuildRequest withDebugOnFailure(boolean value) {
        return with(draft -> draft.debugOnFailure = value);
    }

    public BuildRequest withEntitlements(Set<Entitlement> granted) {
        return with(draft -> draft.entitlements = granted);
    }

    /** The same build, exporting its cache to {@code to} and taking steps from {@code from}. */
    public BuildRequest withCache(List<CacheExport> to, List<CacheImport> from) {
        return with(draft -> {
            draft.cacheExports = to;
            draft.cacheImports = from;
        });
    }

    /** This request with a change: the withers name only what they change, the whole list stands in Draft alone. */
    private BuildRequest with(Consumer<Draft> change) {
        Draft draft = new Draft();
        change.accept(draft);
        return draft.request();
    }

    /** A request's values while some of them change. */
    private final class Draft {
        private final FrontendSpec frontend = BuildRequest.this.frontend;
        private final Map<String, String> frontendOpts = BuildRequest.this.frontendOpts;
        private final Map<String, Path> localDirs = BuildRequest.this.localDirs;
        private final List<ExportTarget> exports = BuildRequest.this.exports;
        private Map<String, byte[]> secrets = BuildRequest.this.secrets;
        private Map<String, Path> sshSockets = BuildRequest.this.sshSockets;
        private boolean debugOnFailure = BuildRequest.this.debugOnFailure;
        private Set<Entitlement> entitlements = BuildRequest.this.entitlements;
        private List<CacheExport> cacheExports = BuildRequest.this.cacheExports;
        private List<CacheImport> cacheImports = BuildRequest.this.cacheImports;

        BuildRequest request() {
            return new BuildRequest(
                    frontend,
                    frontendOpts,
                    localDirs,
                    exports,
                    secrets,
                    sshSockets,
                    debugOnFailure,
                    entitlements,
                    cacheExports,
                    cacheImports);
        }
    }

    /** Never prints secret values. */
    @Override
    public String toString() {
        return "BuildRequest[" + frontend + ", opts=" + frontendOpts + ", locals=" + localDirs + ", exports=" + exports
                + ", secrets=" + secrets.keySet() + ", ssh=" + sshSockets.keySet() + ", allow=" + entitlements
                + ", cacheTo=" + cacheExports + ", cacheFrom=" + cacheImports + "]";
    }
}
