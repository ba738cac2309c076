package dev.kiln.worker.runtime;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The container's /etc/resolv.conf, made from the host's as BuildKit makes it: nameserver, search and options
 * lines first, other directives after, comments dropped. Outside the host's network namespace a loopback
 * nameserver (a local resolver such as systemd-resolved's 127.0.0.53) cannot be reached, so those are left out;
 * when no nameserver remains, Google's public ones stand in, as in BuildKit and Docker.
 */
final class ResolvConf {
    private static final Path HOST = Path.of("/etc/resolv.conf");
    /** What systemd-resolved writes for programs that cannot use its stub resolver at 127.0.0.53. */
    private static final Path SYSTEMD_RESOLVED = Path.of("/run/systemd/resolve/resolv.conf");

    private static final List<String> DEFAULT_NAMESERVERS =
            List.of("8.8.8.8", "8.8.4.4", "2001:4860:4860::8888", "2001:4860:4860::8844");

    private ResolvConf() {}

    /** The file for a container in {@code network}, from this host's resolver configuration. */
    static String forContainer(NetworkMode network) throws IOException {
        String host = read(HOST);
        if (network != NetworkMode.HOST && parse(host).nameservers().equals(List.of("127.0.0.53"))) {
            String resolved = read(SYSTEMD_RESOLVED);
            host = resolved.isEmpty() ? host : resolved;
        }
        return forContainer(host, network);
    }

    /** The file for a container in {@code network} when the host's /etc/resolv.conf says {@code host}. */
    static String forContainer(String host, NetworkMode network) {
        Parsed parsed = parse(host);
        List<String> nameservers = parsed.nameservers();
        if (network != NetworkMode.HOST || nameservers.isEmpty()) {
            nameservers =
                    nameservers.stream().filter(address -> !loopback(address)).toList();
            if (nameservers.isEmpty()) {
                nameservers = DEFAULT_NAMESERVERS;
            }
        }
        StringBuilder out = new StringBuilder();
        nameservers.forEach(address -> out.append("nameserver ").append(address).append('\n'));
        if (!parsed.search().isEmpty()) {
            out.append("search ").append(String.join(" ", parsed.search())).append('\n');
        }
        if (!parsed.options().isEmpty()) {
            out.append("options ").append(String.join(" ", parsed.options())).append('\n');
        }
        parsed.other().forEach(line -> out.append(line).append('\n'));
        return out.toString();
    }

    private record Parsed(List<String> nameservers, List<String> search, List<String> options, List<String> other) {}

    private static Parsed parse(String text) {
        List<String> nameservers = new ArrayList<>();
        List<String> search = new ArrayList<>();
        List<String> options = new ArrayList<>();
        List<String> other = new ArrayList<>();
        for (String line : text.lines().toList()) {
            if (line.isEmpty() || line.charAt(0) == '#' || line.charAt(0) == ';') {
                continue;
            }
            String[] fields = line.trim().split("\\s+");
            if (fields[0].isEmpty()) {
                continue;
            }
            List<String> values = List.of(fields).subList(1, fields.length);
            switch (fields[0]) {
                case "nameserver" -> {
                    // an address that does not parse is dropped, as BuildKit drops it
                    if (!values.isEmpty() && address(values.getFirst()) != null) {
                        nameservers.add(values.getFirst());
                    }
                }
                case "search", "domain" -> {
                    // the last one counts; "domain" is the old name of "search"
                    if (!values.isEmpty()) {
                        search.clear();
                        search.addAll(values);
                    }
                }
                case "options" -> options.addAll(values);
                default -> other.add(line);
            }
        }
        return new Parsed(nameservers, search, options, other);
    }

    private static boolean loopback(String address) {
        InetAddress parsed = address(address);
        return parsed != null && parsed.isLoopbackAddress();
    }

    /** The literal address, or null when {@code text} is not one; never a DNS lookup. */
    private static InetAddress address(String text) {
        try {
            return InetAddress.ofLiteral(text);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static String read(Path file) throws IOException {
        try {
            return Files.readString(file);
        } catch (NoSuchFileException e) {
            return "";
        }
    }
}
