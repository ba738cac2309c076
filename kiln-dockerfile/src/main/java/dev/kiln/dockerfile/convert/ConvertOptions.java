package dev.kiln.dockerfile.convert;

import dev.kiln.core.Platform;
import dev.kiln.llb.ImageOption;
import dev.kiln.llb.NetMode;
import dev.kiln.llb.RunOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What a conversion needs besides the Dockerfile, from the frontend options.
 *
 * @param target the stage to build; "" for the last one
 * @param buildArgs build-arg values by name
 * @param labels labels added to the final image
 * @param targetPlatform the platform to build for; null to build for the first build platform
 * @param buildPlatforms the platforms the workers run natively (the first is BUILDPLATFORM)
 * @param noCache stages that must not use cached results; null for none, empty for all
 * @param hostname hostname of RUN containers; "" for the default
 * @param forceNetwork network of every RUN unless it sets one; null for the default
 * @param shmSize size of /dev/shm in bytes for RUN; 0 for the runtime's default
 * @param cacheIdNamespace prefix of cache mount ids
 * @param resolveMode how base images are looked up
 * @param multiPlatform the build produces several platforms (progress names carry the platform)
 * @param llbCaps the LLB capabilities of the engine
 */
public record ConvertOptions(
        String target,
        Map<String, String> buildArgs,
        Map<String, String> labels,
        Platform targetPlatform,
        List<Platform> buildPlatforms,
        Set<String> noCache,
        String hostname,
        NetMode forceNetwork,
        List<RunOption.ExtraHost> extraHosts,
        long shmSize,
        List<RunOption.Ulimit> ulimits,
        String cgroupParent,
        String cacheIdNamespace,
        ImageOption.ResolveMode resolveMode,
        boolean multiPlatform,
        Set<String> llbCaps) {

    public ConvertOptions {
        target = target == null ? "" : target;
        buildArgs = Collections.unmodifiableMap(new LinkedHashMap<>(buildArgs));
        labels = Collections.unmodifiableMap(new LinkedHashMap<>(labels));
        buildPlatforms = List.copyOf(buildPlatforms);
        if (buildPlatforms.isEmpty()) {
            throw new IllegalArgumentException("a conversion needs at least one build platform");
        }
        noCache = noCache == null ? null : Set.copyOf(noCache);
        hostname = hostname == null ? "" : hostname;
        extraHosts = List.copyOf(extraHosts);
        ulimits = List.copyOf(ulimits);
        cgroupParent = cgroupParent == null ? "" : cgroupParent;
        cacheIdNamespace = cacheIdNamespace == null ? "" : cacheIdNamespace;
        Objects.requireNonNull(resolveMode, "resolveMode");
        llbCaps = Set.copyOf(llbCaps);
    }

    /** Defaults for a build on {@code platform} with nothing else set. */
    public static ConvertOptions forPlatform(Platform platform) {
        return forPlatform(platform, Map.of(), null, Set.of("mergeop"));
    }

    /** Defaults for a build on {@code platform} but for these build arguments, no-cache stages and LLB capabilities. */
    static ConvertOptions forPlatform(
            Platform platform, Map<String, String> buildArgs, Set<String> noCache, Set<String> llbCaps) {
        return new ConvertOptions(
                "",
                buildArgs,
                Map.of(),
                null,
                List.of(platform),
                noCache,
                "",
                null,
                List.of(),
                0,
                List.of(),
                "",
                "",
                ImageOption.ResolveMode.DEFAULT,
                false,
                llbCaps);
    }

    public ConvertOptions withTargetPlatform(Platform platform) {
        return new ConvertOptions(
                target,
                buildArgs,
                labels,
                platform,
                buildPlatforms,
                noCache,
                hostname,
                forceNetwork,
                extraHosts,
                shmSize,
                ulimits,
                cgroupParent,
                cacheIdNamespace,
                resolveMode,
                multiPlatform,
                llbCaps);
    }

    /** Whether {@code stage} ignores cached results (no-cache=all or no-cache listing it). */
    boolean ignoresCache(String stage) {
        if (noCache == null) {
            return false;
        }
        return noCache.isEmpty() || noCache.stream().anyMatch(name -> name.equalsIgnoreCase(stage));
    }
}
