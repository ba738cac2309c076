package dev.kiln.dockerfile.convert;

import dev.kiln.core.Platform;
import java.util.LinkedHashMap;
import java.util.Map;

/** The ARGs every Dockerfile may declare without a default: BUILDPLATFORM, TARGETARCH and the rest. */
final class PlatformArgs {

    private PlatformArgs() {}

    /** The automatic args in BuildKit's order; a build arg of the same name overrides one. */
    static Map<String, String> defaults(Platform build, Platform target, Map<String, String> overrides, String stage) {
        Map<String, String> args = new LinkedHashMap<>();
        args.put("BUILDPLATFORM", Platforms.format(build));
        args.put("BUILDOS", build.os());
        args.put("BUILDOSVERSION", build.osVersion());
        args.put("BUILDARCH", build.architecture());
        args.put("BUILDVARIANT", build.variant());
        args.put("TARGETPLATFORM", Platforms.format(target));
        args.put("TARGETOS", target.os());
        args.put("TARGETOSVERSION", target.osVersion());
        args.put("TARGETARCH", target.architecture());
        args.put("TARGETVARIANT", target.variant());
        args.put("TARGETSTAGE", stage.isEmpty() ? "default" : stage);
        args.replaceAll((key, value) -> overrides.getOrDefault(key, value));
        return args;
    }
}
