package dev.kiln.core;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.TreeSet;

/**
 * An OCI platform (os, architecture, variant), normalised the way containerd's {@code platforms}
 * package does it, because the normalised form is what lands in an op.
 */
public record Platform(String os, String architecture, String variant, String osVersion, List<String> osFeatures) {

    /**
     * The PATH a Unix process gets when its image sets none: BuildKit's {@code system.DefaultPathEnvUnix}, which
     * the Dockerfile frontend, the image exporter and the runtime all fall back to, so one value serves them all.
     */
    public static final String DEFAULT_UNIX_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    /** BuildKit's {@code system.DefaultPathEnvWindows}. */
    public static final String DEFAULT_WINDOWS_PATH = "c:\\Windows\\System32;c:\\Windows";

    public Platform {
        Objects.requireNonNull(os, "os");
        Objects.requireNonNull(architecture, "architecture");
        variant = variant == null ? "" : variant;
        osVersion = osVersion == null ? "" : osVersion;
        osFeatures = osFeatures == null ? List.of() : List.copyOf(osFeatures);
    }

    public static Platform of(String os, String architecture) {
        return new Platform(os, architecture, "", "", List.of());
    }

    public static Platform of(String os, String architecture, String variant) {
        return new Platform(os, architecture, variant, "", List.of());
    }

    /** Parses "os/arch[/variant]", e.g. "linux/arm64" or "linux/arm/v7", and normalises it. */
    public static Platform parse(String text) {
        String[] parts = text.split("/", -1);
        if (parts.length < 2 || parts.length > 3 || parts[0].isEmpty() || parts[1].isEmpty()) {
            throw new IllegalArgumentException(
                    "invalid platform \"" + text + "\" (expected os/arch or os/arch/variant)");
        }
        return of(parts[0], parts[1], parts.length == 3 ? parts[2] : "").normalize();
    }

    /** The platform of this JVM, as Go would name it (GOOS/GOARCH). */
    public static Platform current() {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        String goos = os.startsWith("windows") ? "windows" : os.startsWith("mac") ? "darwin" : os.replace(' ', '-');
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        // The JDK says x86_64/amd64/aarch64 much like uname; normalize() maps those to Go's names.
        String goarch = switch (arch) {
            case "x86", "i486", "i586", "i686" -> "386";
            default -> arch;
        };
        return of(goos, goarch).normalize();
    }

    /** containerd's {@code platforms.Normalize}: canonical os, arch and variant names, sorted os features. */
    public Platform normalize() {
        String normalOs = os.toLowerCase(Locale.ROOT);
        if (normalOs.equals("macos")) {
            normalOs = "darwin";
        }
        String arch = architecture.toLowerCase(Locale.ROOT);
        String normalVariant = variant.toLowerCase(Locale.ROOT);
        switch (arch) {
            case "i386" -> {
                arch = "386";
                normalVariant = "";
            }
            case "x86_64", "x86-64", "amd64" -> {
                arch = "amd64";
                if (normalVariant.equals("v1")) {
                    normalVariant = "";
                }
            }
            case "aarch64", "arm64" -> {
                arch = "arm64";
                normalVariant = switch (normalVariant) {
                    case "8", "v8", "v8.0" -> "";
                    case "9", "9.0", "v9.0" -> "v9";
                    default -> normalVariant;
                };
            }
            case "armhf" -> {
                arch = "arm";
                normalVariant = "v7";
            }
            case "armel" -> {
                arch = "arm";
                normalVariant = "v6";
            }
            case "arm" ->
                normalVariant = switch (normalVariant) {
                    case "", "7" -> "v7";
                    case "5", "6", "8" -> "v" + normalVariant;
                    default -> normalVariant;
                };
            default -> {}
        }
        return new Platform(normalOs, arch, normalVariant, osVersion, List.copyOf(new TreeSet<>(osFeatures)));
    }

    @Override
    public String toString() {
        return os + "/" + architecture + (variant.isEmpty() ? "" : "/" + variant);
    }
}
