package dev.kiln.dockerfile.convert;

import dev.kiln.dockerfile.instructions.Instruction;
import dev.kiln.dockerfile.instructions.InstructionException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** EXPOSE's port specs: "80", "80/udp", "8000-8010/tcp" (expanded to one entry per port), "ip:host:container". */
final class ExposedPorts {

    private ExposedPorts() {}

    static List<String> parse(List<String> ports, Instruction.Origin origin, Linter lint) throws InstructionException {
        List<String> out = new ArrayList<>();
        for (String raw : ports) {
            out.addAll(parseOne(raw, origin, lint));
        }
        return out;
    }

    private static List<String> parseOne(String raw, Instruction.Origin origin, Linter lint)
            throws InstructionException {
        String[] parts = raw.split(":", -1);
        String ip = "";
        String hostPort = "";
        String containerPort;
        switch (parts.length) {
            case 1 -> containerPort = parts[0];
            case 2 -> {
                hostPort = parts[0];
                containerPort = parts[1];
            }
            case 3 -> {
                ip = parts[0];
                hostPort = parts[1];
                containerPort = parts[2];
            }
            default -> {
                int n = parts.length;
                ip = String.join(":", java.util.Arrays.copyOfRange(parts, 0, n - 2));
                hostPort = parts[n - 2];
                containerPort = parts[n - 1];
            }
        }
        int slash = containerPort.indexOf('/');
        String port = slash < 0 ? containerPort : containerPort.substring(0, slash);
        String proto = slash < 0 ? "" : containerPort.substring(slash + 1);
        if (port.isEmpty()) {
            throw new InstructionException("invalid port: \"" + raw + "\": no port specified");
        }
        switch (proto.toLowerCase(Locale.ROOT)) {
            case "" -> proto = "tcp";
            case "tcp", "udp", "sctp" -> {}
            default -> throw new InstructionException("invalid port: \"" + raw + "\": invalid proto: " + proto);
        }
        if (!proto.equals(proto.toLowerCase(Locale.ROOT))) {
            lint.run(
                    LintRule.EXPOSE_PROTO_CASING,
                    origin.startLine(),
                    origin.endLine(),
                    "Defined protocol '" + raw + "' in EXPOSE instruction should be lowercase");
        }
        if (!ip.isEmpty() || !hostPort.isEmpty()) {
            lint.run(
                    LintRule.EXPOSE_INVALID_FORMAT,
                    origin.startLine(),
                    origin.endLine(),
                    "EXPOSE instruction should not define an IP address or host-port mapping, found '" + raw + "'");
        }
        if (!ip.isEmpty()) {
            String literal = ip.startsWith("[") && ip.endsWith("]") ? ip.substring(1, ip.length() - 1) : ip;
            try {
                InetAddress.ofLiteral(literal);
            } catch (IllegalArgumentException e) {
                throw new InstructionException("invalid IP address: " + ip);
            }
        }
        int[] range = range(port);
        if (range == null) {
            throw new InstructionException("invalid containerPort: " + port);
        }
        if (!hostPort.isEmpty()) {
            int[] hostRange = range(hostPort);
            if (hostRange == null) {
                throw new InstructionException("invalid hostPort: " + hostPort);
            }
            if (range[1] - range[0] != hostRange[1] - hostRange[0] && range[1] != range[0]) {
                throw new InstructionException(
                        "invalid ranges specified for container and host Ports: " + port + " and " + hostPort);
            }
        }
        List<String> out = new ArrayList<>();
        for (int p = range[0]; p <= range[1]; p++) {
            out.add(p + "/" + proto.toLowerCase(Locale.ROOT));
        }
        return out;
    }

    private static int[] range(String ports) {
        if (ports.isEmpty()) {
            return null;
        }
        int dash = ports.indexOf('-');
        String start = dash < 0 ? ports : ports.substring(0, dash);
        String end = dash < 0 ? start : ports.substring(dash + 1);
        Integer from = number(start);
        Integer to = number(end);
        if (from == null || to == null || to < from) {
            return null;
        }
        return new int[] {from, to};
    }

    private static Integer number(String text) {
        try {
            int value = Integer.parseInt(text);
            return value < 0 || value > 65535 ? null : value;
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
