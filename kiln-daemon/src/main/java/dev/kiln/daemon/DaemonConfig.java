package dev.kiln.daemon;

import dev.kiln.engine.Entitlement;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

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
 */
record DaemonConfig(List<String> addresses, Path stateDir, Optional<String> group, Optional<TlsFiles> tls,
        Duration idleTimeout, Set<String> insecureRegistries, String runtime, List<String> warnings,
        Set<Entitlement> insecureEntitlements) {

    /** The CA that client certificates must chain to, and the daemon's own certificate and key (PEM files). */
    record TlsFiles(Path ca, Path cert, Path key) {
    }

    DaemonConfig {
        addresses = List.copyOf(addresses);
        insecureRegistries = Set.copyOf(insecureRegistries);
        warnings = List.copyOf(warnings);
        insecureEntitlements = Set.copyOf(insecureEntitlements);
    }

    DaemonConfig(List<String> addresses, Path stateDir, Optional<String> group, Optional<TlsFiles> tls,
            Duration idleTimeout, Set<String> insecureRegistries, String runtime, List<String> warnings) {
        this(addresses, stateDir, group, tls, idleTimeout, insecureRegistries, runtime, warnings, Set.of());
    }

    /** {@code network.host} or {@code security.insecure}, else an error that names the known ones. */
    static Entitlement entitlement(String name) {
        return Entitlement.parse(name).orElseThrow(() -> new IllegalArgumentException("unknown entitlement " + name
                + " (known: " + Entitlement.names() + ")"));
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
                default -> {
                    if (path.size() == 3 && path.get(0).equals("registry")) {
                        String host = path.get(1);
                        switch (path.get(2)) {
                            case "http", "insecure" -> {
                                if (Boolean.TRUE.equals(value)) {
                                    insecure.add(host);
                                }
                            }
                            default -> warnings.add("config: registry." + host + "." + path.get(2)
                                    + " is not used by kiln daemon");
                        }
                    } else {
                        warnings.add("config: " + name + " is not used by kiln daemon");
                    }
                }
            }
        }
        Optional<TlsFiles> tls = ca == null && cert == null && key == null ? Optional.empty()
                : Optional.of(new TlsFiles(Path.of(required("grpc.tls.ca", ca)), Path.of(required("grpc.tls.cert", cert)),
                        Path.of(required("grpc.tls.key", key))));
        return new DaemonConfig(addresses, state, group, tls, Duration.ZERO, insecure, runtime, warnings, entitlements);
    }

    private static String required(String name, String value) {
        if (value == null) {
            throw new IllegalArgumentException("config: TLS needs grpc.tls.ca, grpc.tls.cert and grpc.tls.key; "
                    + name + " is missing");
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
        return new DaemonConfig(values, stateDir, group, tls, idleTimeout, insecureRegistries, runtime,
                warnings, insecureEntitlements);
    }

    DaemonConfig withStateDir(Path dir) {
        return new DaemonConfig(addresses, dir, group, tls, idleTimeout, insecureRegistries, runtime,
                warnings, insecureEntitlements);
    }

    DaemonConfig withGroup(String value) {
        return new DaemonConfig(addresses, stateDir, Optional.of(value), tls, idleTimeout, insecureRegistries, runtime,
                warnings, insecureEntitlements);
    }

    DaemonConfig withTls(TlsFiles files) {
        return new DaemonConfig(addresses, stateDir, group, Optional.of(files), idleTimeout, insecureRegistries,
                runtime, warnings, insecureEntitlements);
    }

    DaemonConfig withIdleTimeout(Duration value) {
        return new DaemonConfig(addresses, stateDir, group, tls, value, insecureRegistries, runtime,
                warnings, insecureEntitlements);
    }

    DaemonConfig withInsecureRegistries(Set<String> hosts) {
        Set<String> all = new LinkedHashSet<>(insecureRegistries);
        all.addAll(hosts);
        return new DaemonConfig(addresses, stateDir, group, tls, idleTimeout, all, runtime,
                warnings, insecureEntitlements);
    }

    DaemonConfig withInsecureEntitlements(Set<Entitlement> allowed) {
        Set<Entitlement> all = new LinkedHashSet<>(insecureEntitlements);
        all.addAll(allowed);
        return new DaemonConfig(addresses, stateDir, group, tls, idleTimeout, insecureRegistries, runtime, warnings,
                all);
    }

    DaemonConfig withRuntime(String value) {
        return new DaemonConfig(addresses, stateDir, group, tls, idleTimeout, insecureRegistries, value,
                warnings, insecureEntitlements);
    }
}
