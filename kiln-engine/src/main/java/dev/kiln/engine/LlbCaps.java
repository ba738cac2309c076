package dev.kiln.engine;

import java.util.Set;

/**
 * The LLB capabilities this engine supports, by BuildKit's names, so that a frontend that checks
 * for a capability before using it finds the same answer it would find in BuildKit.
 */
final class LlbCaps {

    private LlbCaps() {
    }

    static final Set<String> SUPPORTED = Set.of(
            "source.local",
            "source.local.unique",
            "source.local.sessionid",
            "source.local.includepatterns",
            "source.local.excludepatterns",
            "source.local.followpaths",
            "source.local.sharedkeyhint",
            "exec.meta.base",
            "exec.meta.network",
            "exec.meta.proxyenv",
            "exec.meta.setsecurity",
            "exec.meta.ulimit",
            "exec.mount.bind",
            "exec.mount.selector",
            "exec.mount.cache",
            "exec.mount.cache.sharing",
            "exec.mount.tmpfs",
            "exec.mount.tmpfs.size",
            "exec.validexitcode",
            "file.base",
            "file.copy.includepatterns",
            "file.rm.allownotfound",
            "mergeop",
            "diffop",
            "constraints",
            "platform",
            "meta.description",
            "meta.ignorecache",
            "source.map");
}
