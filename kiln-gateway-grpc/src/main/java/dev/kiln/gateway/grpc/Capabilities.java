package dev.kiln.gateway.grpc;

import dev.kiln.api.apicaps.APICap;
import dev.kiln.gateway.GatewayException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The capabilities an engine announced in its Pong, by BuildKit's ids: the gateway's (solve.base, gateway.exec, ...)
 * or LLB's (source.image, exec.mount.cache, ...). A call that needs one the engine lacks fails before it is sent,
 * with the engine's own reason when it gave one, as Go's apicaps.CapSet.Supports does.
 */
record Capabilities(String kind, Map<String, APICap> caps) {

    /**
     * What an engine that predates capabilities supports (BuildKit's frozen defaults in grpcclient), for a Pong
     * that lists none.
     */
    static final List<String> DEFAULT_GATEWAY = List.of("solve.base", "solve.inlinereturn", "resolveimage", "readfile");

    static final List<String> DEFAULT_LLB = List.of(
            "source.image",
            "source.local",
            "source.local.unique",
            "source.local.sessionid",
            "source.local.includepatterns",
            "source.local.followpaths",
            "source.local.excludepatterns",
            "source.local.sharedkeyhint",
            "source.git",
            "source.git.keepgitdir",
            "source.git.fullurl",
            "source.http",
            "source.http.checksum",
            "source.http.perm",
            "soruce.http.uidgid", // sic: BuildKit's id
            "source.buildop.llbfilename",
            "exec.meta.base",
            "exec.meta.proxyenv",
            "exec.mount.bind",
            "exec.mount.cache",
            "exec.mount.cache.sharing",
            "exec.mount.selector",
            "exec.mount.tmpfs",
            "exec.mount.secret",
            "constraints",
            "platform",
            "meta.ignorecache",
            "meta.description",
            "meta.exportcache");

    static Capabilities of(String kind, List<APICap> announced, List<String> defaults) {
        Map<String, APICap> caps = new LinkedHashMap<>();
        if (announced.isEmpty()) {
            defaults.forEach(id ->
                    caps.put(id, APICap.newBuilder().setID(id).setEnabled(true).build()));
        } else {
            announced.forEach(cap -> caps.put(cap.getID(), cap));
        }
        return new Capabilities(kind, Map.copyOf(caps));
    }

    boolean supports(String id) {
        APICap cap = caps.get(id);
        return cap != null && cap.getEnabled();
    }

    /** @throws GatewayException naming the capability and why the engine lacks it */
    void require(String id) {
        APICap cap = caps.get(id);
        if (cap == null) {
            throw new GatewayException("the engine does not support the " + kind + " capability " + id
                    + " (it is too old, or not BuildKit-compatible there)");
        }
        if (!cap.getEnabled()) {
            StringBuilder why = new StringBuilder("the engine has the " + kind + " capability " + id + " disabled");
            if (!cap.getDisabledReasonMsg().isEmpty()) {
                why.append(": ").append(cap.getDisabledReasonMsg());
            } else if (!cap.getDisabledReason().isEmpty()) {
                why.append(": ").append(cap.getDisabledReason());
            }
            if (!cap.getDisabledAlternative().isEmpty()) {
                why.append(" (instead: ").append(cap.getDisabledAlternative()).append(')');
            }
            throw new GatewayException(why.toString());
        }
    }

    /** The enabled ids, as {@link dev.kiln.gateway.BuildOpts} lists them. */
    Set<String> enabled() {
        Set<String> ids = new TreeSet<>();
        caps.forEach((id, cap) -> {
            if (cap.getEnabled()) {
                ids.add(id);
            }
        });
        return ids;
    }
}
