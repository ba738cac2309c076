package dev.kiln.daemon;

import dev.kiln.core.GoDurations;
import dev.kiln.engine.DiskSpace;
import dev.kiln.engine.Entitlement;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * How a daemon runs: where it listens, which state it serves, who may connect, and what it may reach. Read from
 * a buildkitd.toml-style file, with the command line's flags over it.
 *
 * @param addresses          {@code unix:///PATH} or {@code tcp://HOST:PORT} (tcp needs {@code tls})
 * @param group              a group whose members may use the unix socket besides its owner
 * @param tls                mutual TLS for tcp addresses
 * @param idleTimeout        stop after this long with no build and no client; zero: never
 * @param insecureRegistries registries reached over plain HTTP or with unverified TLS
 * @param warnings           what the config file said that Kiln does not use, to tell the user once
 * @param insecureEntitlements the entitlements a client may ask for ({@code network.host}, {@code security.insecure});
 *                           none unless the daemon's owner allows them, as buildkitd's --allow-insecure-entitlement
 * @param gc                 garbage collection of the build cache ({@code [worker.oci]}'s gc keys)
 */
record DaemonConfig(
        List<String> addresses,
        Path stateDir,
        Optional<String> group,
        Optional<TlsFiles> tls,
        Duration idleTimeout,
        Set<String> insecureRegistries,
        String runtime,
        List<String> warnings,
        Set<Entitlement> insecureEntitlements,
        GcSettings gc) {

    /** The CA that client certificates must chain to, and the daemon's own certificate and key (PEM files). */
    record TlsFiles(Path ca, Path cert, Path key) {}

    DaemonConfig {
        addresses = List.copyOf(addresses);
        insecureRegistries = Set.copyOf(insecureRegistries);
        warnings = List.copyOf(warnings);
        insecureEntitlements = Set.copyOf(insecureEntitlements);
        java.util.Objects.requireNonNull(gc, "gc settings");
    }

    /** A daemon on its default settings for the state in {@code stateDir}, as with an empty config file. */
    static DaemonConfig defaults(Path stateDir) {
        return fromFile(TomlFile.parse("", "none"), stateDir);
    }

    /** {@code network.host} or {@code security.insecure}, else an error that names the known ones. */
    static Entitlement entitlement(String name) {
        return Entitlement.parse(name)
                .orElseThrow(() -> new IllegalArgumentException(
                        "unknown entitlement " + name + " (known: " + Entitlement.names() + ")"));
    }

    /** Reads the config file's values that Kiln knows, with buildkitd.toml's names. */
    static DaemonConfig fromFile(TomlFile file, Path defaultState) {
        List<String> addresses = new ArrayList<>();
        Path state = defaultState;
        Optional<String> group = Optional.empty();
        String ca = null;
        String cert = null;
        String key = null;
        String runtime = "auto";
        Set<String> insecure = new LinkedHashSet<>();
        List<String> warnings = new ArrayList<>();
        Set<Entitlement> entitlements = new LinkedHashSet<>();
        GcSettings gc = GcSettings.defaults();
        for (Map.Entry<List<String>, Object> entry : file.values().entrySet()) {
            List<String> path = entry.getKey();
            Object value = entry.getValue();
            String name = String.join(".", path);
            switch (name) {
                case "root" -> state = Path.of(text(name, value));
                case "grpc.address" -> addresses.addAll(texts(name, value));
                case "grpc.gid" -> group = Optional.of(String.valueOf(value));
                case "grpc.tls.ca" -> ca = text(name, value);
                case "grpc.tls.cert" -> cert = text(name, value);
                case "grpc.tls.key" -> key = text(name, value);
                case "worker.oci.binary" -> runtime = text(name, value);
                case "insecure-entitlements" -> texts(name, value).forEach(e -> entitlements.add(entitlement(e)));
                case "worker.oci.gc" -> gc = gc.withEnabled(flag(file.where(path), name, value));
                case "worker.oci.gckeepstorage" -> gc = gc.withKeepStorage(diskSpace(file.where(path), name, value));
                case "worker.oci.reservedSpace" -> gc = gc.withReservedSpace(diskSpace(file.where(path), name, value));
                case "worker.oci.maxUsedSpace" -> gc = gc.withMaxUsedSpace(diskSpace(file.where(path), name, value));
                case "worker.oci.minFreeSpace" -> gc = gc.withMinFreeSpace(diskSpace(file.where(path), name, value));
                case "worker.oci.gcpolicy" -> gc = gc.withPolicies(gcPolicies(file.where(path), value, warnings));
                default -> {
                    if (path.size() == 3 && path.get(0).equals("registry")) {
                        String host = path.get(1);
                        switch (path.get(2)) {
                            case "http", "insecure" -> {
                                if (Boolean.TRUE.equals(value)) {
                                    insecure.add(host);
                                }
                            }
                            default ->
                                warnings.add(
                                        "config: registry." + host + "." + path.get(2) + " is not used by kiln daemon");
                        }
                    } else {
                        warnings.add("config: " + name + " is not used by kiln daemon");
                    }
                }
            }
        }
        Optional<TlsFiles> tls = ca == null && cert == null && key == null
                ? Optional.empty()
                : Optional.of(new TlsFiles(
                        Path.of(required("grpc.tls.ca", ca)),
                        Path.of(required("grpc.tls.cert", cert)),
                        Path.of(required("grpc.tls.key", key))));
        return new DaemonConfig(
                addresses, state, group, tls, Duration.ZERO, insecure, runtime, warnings, entitlements, gc);
    }

    /** The {@code [[worker.oci.gcpolicy]]} tables, each read as buildkitd reads a GCPolicy. */
    private static List<GcSettings.Policy> gcPolicies(String where, Object value, List<String> warnings) {
        if (!(value instanceof List<?> tables) || !tables.stream().allMatch(TomlFile.Table.class::isInstance)) {
            throw new IllegalArgumentException(where + ": worker.oci.gcpolicy must be tables: [[worker.oci.gcpolicy]]");
        }
        List<GcSettings.Policy> policies = new ArrayList<>();
        for (Object item : tables) {
            TomlFile.Table table = (TomlFile.Table) item;
            boolean all = false;
            List<String> filters = List.of();
            Duration keep = Duration.ZERO;
            DiskSpace keepBytes = DiskSpace.UNSET;
            DiskSpace reserved = DiskSpace.UNSET;
            DiskSpace max = DiskSpace.UNSET;
            DiskSpace free = DiskSpace.UNSET;
            for (Map.Entry<String, Object> entry : table.values().entrySet()) {
                String key = entry.getKey();
                String name = "worker.oci.gcpolicy." + key;
                String at = table.where(key);
                Object v = entry.getValue();
                switch (key) {
                    case "all" -> all = flag(at, name, v);
                    case "filters" -> {
                        filters = texts(at, name, v);
                        try {
                            dev.kiln.engine.UsageFilter.parse(filters);
                        } catch (IllegalArgumentException e) {
                            throw new IllegalArgumentException(at + ": " + name + ": " + e.getMessage());
                        }
                    }
                    case "keepDuration" -> keep = keepDuration(at, name, v);
                    case "keepBytes" -> keepBytes = diskSpace(at, name, v);
                    case "reservedSpace" -> reserved = diskSpace(at, name, v);
                    case "maxUsedSpace" -> max = diskSpace(at, name, v);
                    case "minFreeSpace" -> free = diskSpace(at, name, v);
                    default -> warnings.add("config: " + at + ": " + name + " is not used by kiln daemon");
                }
            }
            policies.add(new GcSettings.Policy(all, filters, keep, keepBytes, reserved, max, free));
        }
        return policies;
    }

    /** As buildkitd's DiskSpace: an integer of bytes, or a text of bytes, a size with units, or a percentage. */
    private static DiskSpace diskSpace(String where, String name, Object value) {
        try {
            return switch (value) {
                case Long bytes -> DiskSpace.ofBytes(bytes);
                case String text -> DiskSpace.parse(text);
                default ->
                    throw new IllegalArgumentException(
                            "expected bytes, a size such as \"10GB\" or a " + "percentage such as \"10%\"");
            };
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + name + ": " + e.getMessage());
        }
    }

    /** As buildkitd's Duration: a Go duration such as "48h", or a number of seconds (an integer or its text). */
    private static Duration keepDuration(String where, String name, Object value) {
        try {
            return switch (value) {
                case Long seconds when seconds >= 0 -> Duration.ofSeconds(seconds);
                case String text when text.isEmpty() -> Duration.ZERO;
                case String text when text.matches("\\d+") -> Duration.ofSeconds(Long.parseLong(text));
                case String text -> GoDurations.parse(text);
                default -> throw new IllegalArgumentException("not a duration");
            };
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + name + ": invalid duration " + value
                    + " (expected a duration such as \"48h\" or a number of seconds)");
        }
    }

    private static boolean flag(String where, String name, Object value) {
        if (value instanceof Boolean b) {
            return b;
        }
        throw new IllegalArgumentException(where + ": " + name + " must be true or false");
    }

    private static List<String> texts(String where, String name, Object value) {
        try {
            return texts(name, value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage().replaceFirst("^config: ", ""));
        }
    }

    private static String required(String name, String value) {
        if (value == null) {
            throw new IllegalArgumentException(
                    "config: TLS needs grpc.tls.ca, grpc.tls.cert and grpc.tls.key; " + name + " is missing");
        }
        return value;
    }

    private static String text(String name, Object value) {
        if (value instanceof String s) {
            return s;
        }
        throw new IllegalArgumentException("config: " + name + " must be a string");
    }

    private static List<String> texts(String name, Object value) {
        if (value instanceof String s) {
            return List.of(s);
        }
        if (value instanceof List<?> list && list.stream().allMatch(String.class::isInstance)) {
            return list.stream().map(String.class::cast).toList();
        }
        throw new IllegalArgumentException("config: " + name + " must be a string or a list of strings");
    }

    DaemonConfig withAddresses(List<String> values) {
        return with(draft -> draft.addresses = values);
    }

    DaemonConfig withStateDir(Path dir) {
        return with(draft -> draft.stateDir = dir);
    }

    DaemonConfig withGroup(String value) {
        return with(draft -> draft.group = Optional.of(value));
    }

    DaemonConfig withTls(TlsFiles files) {
        return with(draft -> draft.tls = Optional.of(files));
    }

    DaemonConfig withIdleTimeout(Duration value) {
        return with(draft -> draft.idleTimeout = value);
    }

    DaemonConfig withInsecureRegistries(Set<String> hosts) {
        Set<String> all = new LinkedHashSet<>(insecureRegistries);
        all.addAll(hosts);
        return with(draft -> draft.insecureRegistries = all);
    }

    DaemonConfig withInsecureEntitlements(Set<Entitlement> allowed) {
        Set<Entitlement> all = new LinkedHashSet<>(insecureEntitlements);
        all.addAll(allowed);
        return with(draft -> draft.insecureEntitlements = all);
    }

    DaemonConfig withGc(GcSettings value) {
        return with(draft -> draft.gc = value);
    }

    DaemonConfig withRuntime(String value) {
        return with(draft -> draft.runtime = value);
    }

    /** This config with one change: the withers name only their own field, the whole list stands in Draft alone. */
    private DaemonConfig with(Consumer<Draft> change) {
        Draft draft = new Draft();
        change.accept(draft);
        return draft.config();
    }

    /** A config's values while one of them changes. */
    private final class Draft {
        private List<String> addresses = DaemonConfig.this.addresses;
        private Path stateDir = DaemonConfig.this.stateDir;
        private Optional<String> group = DaemonConfig.this.group;
        private Optional<TlsFiles> tls = DaemonConfig.this.tls;
        private Duration idleTimeout = DaemonConfig.this.idleTimeout;
        private Set<String> insecureRegistries = DaemonConfig.this.insecureRegistries;
        private String runtime = DaemonConfig.this.runtime;
        private final List<String> warnings = DaemonConfig.this.warnings;
        private Set<Entitlement> insecureEntitlements = DaemonConfig.this.insecureEntitlements;
        private GcSettings gc = DaemonConfig.this.gc;

        DaemonConfig config() {
            return new DaemonConfig(
                    addresses,
                    stateDir,
                    group,
                    tls,
                    idleTimeout,
                    insecureRegistries,
                    runtime,
                    warnings,
                    insecureEntitlements,
                    gc);
        }
    }
}
