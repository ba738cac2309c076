package dev.kiln.dockerfile.convert;

import dev.kiln.core.GoQuoted;
import dev.kiln.core.Platform;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/** Platform strings as containerd's platforms package reads and writes them. */
public final class Platforms {

    private static final Set<String> KNOWN_OS = Set.of(
            "aix",
            "android",
            "darwin",
            "dragonfly",
            "freebsd",
            "illumos",
            "ios",
            "js",
            "linux",
            "netbsd",
            "openbsd",
            "plan9",
            "solaris",
            "windows",
            "wasip1");
    private static final Set<String> KNOWN_ARCH = Set.of(
            "386",
            "amd64",
            "arm",
            "arm64",
            "loong64",
            "mips",
            "mips64",
            "mips64le",
            "mipsle",
            "ppc64",
            "ppc64le",
            "riscv64",
            "s390x",
            "wasm",
            "x86_64",
            "x86-64",
            "aarch64",
            "armhf",
            "armel",
            "i386");

    /** containerd's patterns of a platform's first part (an OS, maybe with a version) and of the others. */
    private static final Pattern OS_AND_VERSION = Pattern.compile("^([A-Za-z0-9_-]+)(?:\\(([A-Za-z0-9_.-]*)\\))?$");

    private static final Pattern SPECIFIER = Pattern.compile("^[A-Za-z0-9_.-]+$");

    private Platforms() {}

    /**
     * Parses "os/arch[/variant]", "os" or "arch" and normalises it; a missing os or architecture is taken from
     * {@code defaults}.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static Platform parse(String text, Platform defaults) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException("\"\": invalid argument");
        }
        // as containerd: four parts at most, the last holding any further slashes, each checked as written
        String[] written = text.split("/", 4);
        for (int i = 0; i < written.length; i++) {
            Pattern component = i == 0 ? OS_AND_VERSION : SPECIFIER;
            if (!component.matcher(written[i]).matches()) {
                throw new IllegalArgumentException(GoQuoted.of(written[i]) + " is an invalid "
                        + (i == 0 ? "OS component of " : "component of ") + GoQuoted.of(text) + ": "
                        + (i == 0 ? "OSAndVersion" : "platform") + " specifier component must match "
                        + GoQuoted.of(component.pattern()) + ": invalid argument");
            }
        }
        String[] parts = text.toLowerCase(Locale.ROOT).split("/", -1);
        Platform parsed = switch (parts.length) {
            case 1 -> {
                if (KNOWN_OS.contains(parts[0])) {
                    yield Platform.of(
                            parts[0],
                            defaults.architecture(),
                            parts[0].equals(defaults.os()) ? defaults.variant() : "");
                }
                if (KNOWN_ARCH.contains(parts[0])) {
                    yield Platform.of(defaults.os(), parts[0]);
                }
                throw new IllegalArgumentException(
                        "\"" + text + "\": unknown operating system or architecture: invalid argument");
            }
            case 2 -> Platform.of(parts[0], parts[1]);
            case 3 -> Platform.of(parts[0], parts[1], parts[2]);
            default ->
                throw new IllegalArgumentException(
                        "\"" + text + "\": cannot parse platform specifier: invalid argument");
        };
        if (!KNOWN_OS.contains(parsed.os())) {
            throw new IllegalArgumentException(
                    "\"" + text + "\": unknown operating system or architecture: invalid argument");
        }
        return parsed.normalize();
    }

    /** "os/arch" or "os/arch/variant". */
    public static String format(Platform platform) {
        return platform.os() + "/" + platform.architecture()
                + (platform.variant().isEmpty() ? "" : "/" + platform.variant());
    }

    /** The PATH an image gets when its base sets none. */
    static String defaultPath(String os) {
        return os.equals("windows") ? Platform.DEFAULT_WINDOWS_PATH : Platform.DEFAULT_UNIX_PATH;
    }
}
