package dev.kiln.engine;

import java.util.Set;

/**
 * The LLB capabilities this engine supports, by BuildKit's names, so that a frontend that checks
 * for a capability before using it finds the same answer it would find in BuildKit.
 */
final class LlbCaps {

    private LlbCaps() {}

    static final Set<String> SUPPORTED = Set.of(
            // the sources the worker runs: a client that checks a definition's caps before it sends it
            // (BuildKit's gateway client does) must find each one it uses
            "source.image",
            "source.image.resolvemode",
            "source.git",
            "source.git.keepgitdir",
            "source.git.fullurl",
            "source.http",
            "source.http.checksum",
            "source.http.perm",
            "soruce.http.uidgid", // sic: BuildKit's id for http.uid/http.gid
            "source.ocilayout",
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
            "exec.mount.secret",
            "exec.mount.ssh",
            "exec.secretenv",
            "exec.meta.security",
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
            "source.map",
            // the exporters': buildx asks for these before it sends attestations (--provenance, --sbom), more than
            // one --output, annotations and SOURCE_DATE_EPOCH, and without them refuses or silently drops them
            "exporter.image.annotations",
            "exporter.image.attestations",
            "exporter.sourcedateepoch",
            "exporter.multiple",
            "exporter.session");
}
