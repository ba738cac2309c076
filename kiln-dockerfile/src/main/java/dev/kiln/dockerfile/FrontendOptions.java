package dev.kiln.dockerfile;

import dev.kiln.core.Platform;
import dev.kiln.dockerfile.convert.ConvertOptions;
import dev.kiln.dockerfile.convert.Platforms;
import dev.kiln.dockerfile.instructions.CsvFields;
import dev.kiln.dockerfile.instructions.InstructionException;
import dev.kiln.gateway.BuildOpts;
import dev.kiln.gateway.WorkerInfo;
import dev.kiln.llb.ImageOption;
import dev.kiln.llb.NetMode;
import dev.kiln.llb.PlatformWire;
import dev.kiln.llb.RunOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The frontend options of a Dockerfile build, by BuildKit's names: {@code filename}, {@code target},
 * {@code build-arg:NAME}, {@code label:NAME}, {@code platform}, {@code no-cache}, {@code context:NAME},
 * {@code image-resolve-mode}, {@code add-hosts}, {@code shm-size}, {@code ulimit}, {@code force-network-mode},
 * {@code hostname}, {@code cgroup-parent}, {@code multi-platform}, {@code contextkey}, {@code dockerfilekey}.
 *
 * @param contextName the local the build context is read from
 * @param dockerfileName the local the Dockerfile is read from
 * @param dockerfileNameForced {@code dockerfilekey} was given: read the Dockerfile from that local even when
 *     the frontend has a "dockerfile" input
 * @param targetPlatforms the platforms asked for; empty for the build platform
 * @param opts every option as given, for named contexts
 * @param sessionId the client session whose local directories the build reads
 */
record FrontendOptions(
        String filename,
        String contextName,
        String dockerfileName,
        boolean dockerfileNameForced,
        List<Platform> targetPlatforms,
        ConvertOptions convert,
        String checkOption,
        Map<String, String> opts,
        String sessionId) {

    static final String DEFAULT_FILENAME = "Dockerfile";

    static FrontendOptions of(BuildOpts buildOpts) {
        Map<String, String> opts = buildOpts.opts();
        Platform buildPlatform = buildPlatform(buildOpts.workers());
        List<Platform> targets = new ArrayList<>();
        String platforms = opts.getOrDefault("platform", "");
        if (!platforms.isEmpty()) {
            for (String text : platforms.split(",")) {
                try {
                    targets.add(Platforms.parse(text.strip(), buildPlatform));
                } catch (IllegalArgumentException e) {
                    throw new DockerfileOptionException(
                            "failed to parse target platform " + text + ": " + e.getMessage());
                }
            }
        }
        boolean multiPlatform = targets.size() > 1;
        String multi = opts.getOrDefault("build-arg:BUILDKIT_MULTI_PLATFORM", opts.getOrDefault("multi-platform", ""));
        if (!multi.isEmpty()) {
            boolean requested = parseBool("multi-platform", multi);
            if (!requested && multiPlatform) {
                throw new DockerfileOptionException(
                        "conflicting config: returning multiple target platforms is not allowed");
            }
            multiPlatform = requested;
        }
        Set<String> noCache = null;
        if (opts.containsKey("no-cache")) {
            String value = opts.get("no-cache");
            noCache = value.isEmpty() ? Set.of() : new LinkedHashSet<>(List.of(value.split(",")));
        }
        String hostname = opts.getOrDefault("build-arg:BUILDKIT_SANDBOX_HOSTNAME", "");
        if (hostname.isEmpty()) {
            hostname = opts.getOrDefault("hostname", "");
        }
        ConvertOptions convert = new ConvertOptions(
                opts.getOrDefault("target", ""),
                prefixed(opts, "build-arg:"),
                prefixed(opts, "label:"),
                null,
                List.of(buildPlatform),
                noCache,
                hostname,
                netMode(opts.getOrDefault("force-network-mode", "")),
                extraHosts(opts.getOrDefault("add-hosts", "")),
                shmSize(opts.getOrDefault("shm-size", "")),
                ulimits(opts.getOrDefault("ulimit", "")),
                opts.getOrDefault("cgroup-parent", ""),
                opts.getOrDefault("build-arg:BUILDKIT_CACHE_MOUNT_NS", ""),
                resolveMode(opts.getOrDefault("image-resolve-mode", "")),
                multiPlatform,
                buildOpts.llbCaps());
        String dockerfileKey = opts.get("dockerfilekey");
        return new FrontendOptions(
                opts.getOrDefault("filename", DEFAULT_FILENAME),
                opts.getOrDefault("contextkey", "context"),
                dockerfileKey == null ? "dockerfile" : dockerfileKey,
                dockerfileKey != null,
                List.copyOf(targets),
                convert,
                opts.get("build-arg:BUILDKIT_DOCKERFILE_CHECK"),
                opts,
                buildOpts.sessionId());
    }

    /**
     * The session a local directory belongs to ({@code local-sessionid:NAME}, else the build's). It is part of
     * the local source, so that two builds reading different directories under one name never share a step.
     */
    String session(String localName) {
        return opts.getOrDefault("local-sessionid:" + localName, sessionId == null ? "" : sessionId);
    }

    /** These options with the Dockerfile read from {@code name}: a downloaded context is its own Dockerfile. */
    FrontendOptions withFilename(String name) {
        return new FrontendOptions(
                name,
                contextName,
                dockerfileName,
                dockerfileNameForced,
                targetPlatforms,
                convert,
                checkOption,
                opts,
                sessionId);
    }

    /** The build platform, as {@link #buildPlatform(List)} found it when the options were read. */
    Platform buildPlatform() {
        return convert.buildPlatforms().getFirst();
    }

    /** The first platform of the first worker: what BUILDPLATFORM names and RUN runs natively. */
    private static Platform buildPlatform(List<WorkerInfo> workers) {
        if (!workers.isEmpty() && !workers.getFirst().platforms().isEmpty()) {
            return PlatformWire.fromProto(workers.getFirst().platforms().getFirst())
                    .normalize();
        }
        return Platform.current();
    }

    private static Map<String, String> prefixed(Map<String, String> opts, String prefix) {
        Map<String, String> out = new LinkedHashMap<>();
        new TreeMap<>(opts).forEach((key, value) -> {
            if (key.startsWith(prefix)) {
                out.put(key.substring(prefix.length()), value);
            }
        });
        return out;
    }

    private static NetMode netMode(String value) {
        return switch (value) {
            case "", "sandbox" -> null;
            case "none" -> NetMode.NONE;
            case "host" -> NetMode.HOST;
            default -> throw new DockerfileOptionException("invalid netmode " + value);
        };
    }

    private static ImageOption.ResolveMode resolveMode(String value) {
        return switch (value) {
            case "", "default" -> ImageOption.ResolveMode.DEFAULT;
            case "pull" -> ImageOption.ResolveMode.FORCE_PULL;
            case "local" -> ImageOption.ResolveMode.PREFER_LOCAL;
            default -> throw new DockerfileOptionException("invalid image-resolve-mode: " + value);
        };
    }

    private static List<RunOption.ExtraHost> extraHosts(String value) {
        List<RunOption.ExtraHost> hosts = new ArrayList<>();
        for (String field : fields(value, "additional hosts")) {
            int eq = field.indexOf('=');
            if (eq < 0) {
                throw new DockerfileOptionException(
                        "failed to parse additional hosts: invalid key-value pair " + field);
            }
            try {
                hosts.add(new RunOption.ExtraHost(
                        field.substring(0, eq).toLowerCase(Locale.ROOT), field.substring(eq + 1)));
            } catch (IllegalArgumentException e) {
                throw new DockerfileOptionException(
                        "failed to parse additional hosts: failed to parse IP " + field.substring(eq + 1));
            }
        }
        return hosts;
    }

    private static long shmSize(String value) {
        if (value.isEmpty()) {
            return 0;
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new DockerfileOptionException("failed to parse shm size: " + value + " is not a number of bytes");
        }
    }

    /** "nofile=1024:2048,nproc=512" as docker run --ulimit writes them. */
    private static List<RunOption.Ulimit> ulimits(String value) {
        List<RunOption.Ulimit> limits = new ArrayList<>();
        for (String field : fields(value, "ulimit")) {
            int eq = field.indexOf('=');
            if (eq <= 0) {
                throw new DockerfileOptionException("failed to parse ulimit: invalid ulimit argument: " + field);
            }
            String name = field.substring(0, eq);
            String[] limit = field.substring(eq + 1).split(":", 2);
            try {
                long soft = Long.parseLong(limit[0]);
                long hard = limit.length > 1 ? Long.parseLong(limit[1]) : soft;
                if (soft > hard) {
                    throw new DockerfileOptionException(
                            "failed to parse ulimit: ulimit soft limit must be less than or " + "equal to hard limit: "
                                    + soft + " > " + hard);
                }
                limits.add((RunOption.Ulimit) RunOption.ulimit(name, soft, hard));
            } catch (NumberFormatException e) {
                throw new DockerfileOptionException("failed to parse ulimit: invalid ulimit value: " + field);
            }
        }
        return limits;
    }

    /** The comma-separated fields of an option's value; an unset (empty) option has none. */
    private static List<String> fields(String value, String what) {
        if (value.isEmpty()) {
            return List.of();
        }
        try {
            return CsvFields.split(value);
        } catch (InstructionException e) {
            throw new DockerfileOptionException("failed to parse " + what + ": " + e.getMessage());
        }
    }

    private static boolean parseBool(String name, String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "1", "t", "true" -> true;
            case "0", "f", "false" -> false;
            default -> throw new DockerfileOptionException("invalid boolean value for " + name + ": " + value);
        };
    }

    /** A frontend option that is not valid; the message names the option. */
    static final class DockerfileOptionException extends RuntimeException {
        DockerfileOptionException(String message) {
            super(message);
        }
    }
}
