package dev.kiln.oci;

import dev.kiln.core.Platform;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which platforms can run on a wanted one, best first, following containerd's {@code platforms.Only}: amd64/vN also
 * runs vN-1 down to v1 and then 386; arm/vN runs arm/vN-1 down to v5; arm64/v8.x runs v8.x down to v8, arm64/v9.x
 * runs v9.x down to v9 and then v8.(x+5) down to v8, and every arm64 runs arm/v8 down to arm/v5. Platforms are
 * compared after normalisation, so x86_64 is amd64, aarch64 is arm64, arm64/v8 is arm64 and arm is arm/v7.
 *
 * @param wanted the platform asked for, normalised
 * @param preference the platforms accepted, best first, normalised
 */
public record PlatformMatcher(Platform wanted, List<Platform> preference) {
    private static final Pattern ARM64_VARIANT = Pattern.compile("v(\\d+)(?:\\.(\\d+))?");

    public PlatformMatcher {
        wanted = wanted.normalize();
        preference = preference.stream().map(Platform::normalize).distinct().toList();
    }

    /** The matcher for {@code wanted} and the platforms it can also run. */
    public static PlatformMatcher of(Platform wanted) {
        Platform normal = wanted.normalize();
        return new PlatformMatcher(normal, compatible(normal));
    }

    /** The matcher for exactly {@code wanted} (after normalisation), nothing it could also run. */
    public static PlatformMatcher exactly(Platform wanted) {
        return new PlatformMatcher(wanted, List.of(wanted));
    }

    public boolean matches(Platform candidate) {
        return rank(candidate) >= 0;
    }

    /** The position of {@code candidate} in the preference order (0 is best), or -1 when it does not match. */
    public int rank(Platform candidate) {
        Platform normal = candidate.normalize();
        for (int i = 0; i < preference.size(); i++) {
            Platform accepted = preference.get(i);
            if (accepted.os().equals(normal.os())
                    && accepted.architecture().equals(normal.architecture())
                    && accepted.variant().equals(normal.variant())) {
                return i;
            }
        }
        return -1;
    }

    /** The best of {@code manifests} (an index's entries); among equals the first listed, as containerd picks. */
    public Optional<Descriptor> select(List<Descriptor> manifests) {
        Descriptor best = null;
        int bestRank = Integer.MAX_VALUE;
        for (Descriptor manifest : manifests) {
            if (manifest.platform() == null) {
                continue;
            }
            int rank = rank(manifest.platform());
            if (rank >= 0 && rank < bestRank) {
                best = manifest;
                bestRank = rank;
            }
        }
        return Optional.ofNullable(best);
    }

    private static List<Platform> compatible(Platform platform) {
        List<Platform> vector = new ArrayList<>();
        switch (platform.architecture()) {
            case "amd64" -> {
                vector.add(platform);
                for (int version = versionOf(platform.variant()) - 1; version >= 1; version--) {
                    vector.add(withArchitecture(platform, "amd64", "v" + version));
                }
                vector.add(withArchitecture(platform, "386", ""));
            }
            case "arm" -> {
                vector.add(platform);
                for (int version = versionOf(platform.variant()) - 1; version >= 5; version--) {
                    vector.add(withArchitecture(platform, "arm", "v" + version));
                }
            }
            case "arm64" -> {
                String variant = platform.variant().isEmpty() ? "v8" : platform.variant();
                Matcher parts = ARM64_VARIANT.matcher(variant);
                if (parts.matches()) {
                    int major = Integer.parseInt(parts.group(1));
                    int minor = parts.group(2) == null ? 0 : Integer.parseInt(parts.group(2));
                    addArm64Minors(vector, platform, major, minor);
                    if (major == 9) {
                        addArm64Minors(vector, platform, 8, Math.min(minor + 5, 9));
                    }
                } else {
                    vector.add(platform);
                }
                vector.addAll(compatible(withArchitecture(platform, "arm", "v8")));
            }
            default -> vector.add(platform);
        }
        return vector;
    }

    private static void addArm64Minors(List<Platform> vector, Platform platform, int major, int minor) {
        for (int m = minor; m >= 0; m--) {
            vector.add(withArchitecture(platform, "arm64", m == 0 ? "v" + major : "v" + major + "." + m));
        }
    }

    private static int versionOf(String variant) {
        try {
            return Integer.parseInt(variant.startsWith("v") ? variant.substring(1) : variant);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static Platform withArchitecture(Platform platform, String architecture, String variant) {
        return new Platform(platform.os(), architecture, variant, platform.osVersion(), platform.osFeatures());
    }

    @Override
    public String toString() {
        return "platforms compatible with " + wanted;
    }
}
