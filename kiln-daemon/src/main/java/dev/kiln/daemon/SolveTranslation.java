package dev.kiln.daemon;

import dev.kiln.api.control.CacheOptionsEntry;
import dev.kiln.api.control.Exporter;
import dev.kiln.api.control.SolveRequest;
import dev.kiln.engine.BuildRequest;
import dev.kiln.engine.Entitlement;
import dev.kiln.engine.FrontendSpec;
import dev.kiln.engine.cache.CacheExport;
import dev.kiln.engine.cache.CacheImport;
import dev.kiln.engine.export.ExportTarget;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * A Control.Solve request read as an engine build: what produces the result (a definition, or a frontend by name
 * with its attributes), the outputs, and the entitlements the client grants.
 *
 * @param exporters the outputs in request order (the index names each at the client's end); clients before
 *                  BuildKit 0.13 sent one output in the deprecated fields
 */
record SolveTranslation(
        FrontendSpec frontend,
        Map<String, String> frontendAttrs,
        List<Exporter> exporters,
        Set<Entitlement> entitlements,
        List<CacheExport> cacheExports,
        List<CacheImport> cacheImports) {

    SolveTranslation {
        frontendAttrs = Map.copyOf(frontendAttrs);
        exporters = List.copyOf(exporters);
        entitlements = Set.copyOf(entitlements);
        cacheExports = List.copyOf(cacheExports);
        cacheImports = List.copyOf(cacheImports);
    }

    /** How BuildKit's clients name the session content store of a type=local cache's directory. */
    private static final String CLIENT_STORE_PREFIX = "local:";

    /**
     * Whether the client runs the frontend itself and drives the build through the LLBBridge (BuildKit's gateway
     * forwarder): buildctl build and docker buildx send such a Solve, with neither frontend nor definition.
     */
    static boolean forwardsToGateway(SolveRequest request) {
        return request.getFrontend().isEmpty() && definition(request).getDefCount() == 0;
    }

    /**
     * @param gateway the frontend of a request that {@link #forwardsToGateway forwards to the gateway}; null for
     *                none, which makes such a request an error
     * @param allowed the entitlements the daemon lets clients ask for
     * @param direct  whether the client has {@link dev.kiln.api.DirectAccess}: the daemon's host and user
     * @throws IllegalArgumentException for a request Kiln cannot run, naming what is wrong
     * @throws SecurityException        for a request for an entitlement the daemon does not allow
     * @throws UnsupportedOperationException for a request with a source policy, which Kiln cannot apply
     */
    static SolveTranslation of(SolveRequest request, FrontendSpec gateway, Set<Entitlement> allowed, boolean direct) {
        FrontendSpec frontend;
        if (!request.getFrontend().isEmpty()) {
            frontend = new FrontendSpec.Named(request.getFrontend());
        } else if (!forwardsToGateway(request)) {
            frontend = new FrontendSpec.Llb(definition(request));
        } else if (gateway != null) {
            frontend = gateway;
        } else {
            throw new IllegalArgumentException("the request names no frontend and carries no definition");
        }
        if (!request.getSourcePolicy().isEmpty()) {
            // as the LLBBridge refuses a frontend's: a build run without the policy's rules would do what it forbids
            throw new UnsupportedOperationException(
                    "source policies (buildctl --source-policy-file) are not supported yet");
        }
        if (!request.getFrontendInputsMap().isEmpty()) {
            throw new IllegalArgumentException("frontend inputs ("
                    + String.join(", ", request.getFrontendInputsMap().keySet()) + ") are not supported yet");
        }
        List<Exporter> exporters = new ArrayList<>(request.getExportersList());
        if (exporters.isEmpty() && !request.getExporterDeprecated().isEmpty()) {
            exporters.add(Exporter.newBuilder()
                    .setType(request.getExporterDeprecated())
                    .putAllAttrs(request.getExporterAttrsDeprecatedMap())
                    .build());
        }
        // A local cache's paths are the client's. The daemon reads and writes them itself only for a client with
        // direct access, which could write them with the daemon's rights anyway; for any other client its blobs go
        // through the content store the client's session serves for the directory ("local:" + the path it sent),
        // as BuildKit's do, and the client writes index.json.
        List<CacheExport> cacheExports = new ArrayList<>();
        List<CacheImport> cacheImports = new ArrayList<>();
        if (!request.getCache().getExportRefDeprecated().isEmpty()) {
            // clients before BuildKit v0.4 give the registry export's other attributes (mode=max) beside its ref
            Map<String, String> attrs = new LinkedHashMap<>(request.getCache().getExportAttrsDeprecatedMap());
            attrs.put("ref", request.getCache().getExportRefDeprecated());
            cacheExports.add(CacheExport.of("registry", attrs));
        }
        for (String ref : request.getCache().getImportRefsDeprecatedList()) {
            cacheImports.add(CacheImport.of("registry", Map.of("ref", ref)));
        }
        cacheExports.addAll(cacheOptions(
                request.getCache().getExportsList(),
                "dest",
                direct,
                CacheExport::of,
                (export, store) ->
                        export instanceof CacheExport.Local local ? local.throughClientStore(store) : export));
        cacheImports.addAll(cacheOptions(
                request.getCache().getImportsList(),
                "src",
                direct,
                CacheImport::of,
                (cacheImport, store) -> cacheImport instanceof CacheImport.Local local
                        ? local.throughClientStore(store)
                        : cacheImport));
        Set<Entitlement> granted = EnumSet.noneOf(Entitlement.class);
        for (String name : request.getEntitlementsList()) {
            Entitlement entitlement = DaemonConfig.entitlement(name);
            if (!allowed.contains(entitlement)) {
                // as buildkitd: a client grants only what the daemon's owner allowed, or it would be root on the host
                throw new SecurityException("entitlement " + name + " is not allowed by this daemon (start it with "
                        + "--allow-insecure-entitlement " + name + ")");
            }
            granted.add(entitlement);
        }
        return new SolveTranslation(
                frontend, request.getFrontendAttrsMap(), exporters, granted, cacheExports, cacheImports);
    }

    /** SOURCE_DATE_EPOCH as a build argument, which image outputs use for their timestamps. */
    Optional<String> sourceDateEpoch() {
        return Optional.ofNullable(frontendAttrs.get("build-arg:SOURCE_DATE_EPOCH"));
    }

    BuildRequest buildRequest(List<ExportTarget> targets) {
        return new BuildRequest(
                frontend,
                frontendAttrs,
                Map.of(),
                targets,
                Map.of(),
                Map.of(),
                false,
                entitlements,
                cacheExports,
                cacheImports);
    }

    /**
     * A Solve's cache exports or imports as the engine's. Unless the client has direct access, a local one goes
     * through the client's store that its {@code pathAttr} (dest, src) names.
     */
    private static <T> List<T> cacheOptions(
            List<CacheOptionsEntry> entries,
            String pathAttr,
            boolean direct,
            BiFunction<String, Map<String, String>, T> of,
            BiFunction<T, String, T> throughClientStore) {
        List<T> options = new ArrayList<>();
        for (CacheOptionsEntry entry : entries) {
            T option = of.apply(entry.getType(), entry.getAttrsMap());
            options.add(
                    direct
                            ? option
                            : throughClientStore.apply(
                                    option,
                                    CLIENT_STORE_PREFIX + entry.getAttrsMap().get(pathAttr)));
        }
        return options;
    }

    /** The request's LLB definition (control.proto carries it as bytes), empty when it has none. */
    static dev.kiln.llb.pb.Definition definition(SolveRequest request) {
        try {
            return dev.kiln.llb.pb.Definition.parseFrom(request.getDefinition());
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new IllegalArgumentException(
                    "the request's definition is not an LLB definition: " + e.getMessage(), e);
        }
    }
}
