package dev.kiln.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code --secret} and {@code --ssh} values as docker buildx takes them. */
final class Secrets {

    private Secrets() {}

    /** {@code id=ID,src=FILE}, {@code id=ID,env=VAR}, or {@code id=ID} (the variable ID, else the file ./ID). */
    static Map<String, byte[]> parse(List<String> specs, Map<String, String> environment)
            throws UsageException, IOException {
        Map<String, byte[]> secrets = new LinkedHashMap<>();
        for (String spec : specs) {
            Map<String, String> fields = new LinkedHashMap<>();
            for (String field : spec.split(",")) {
                int eq = field.indexOf('=');
                if (eq <= 0) {
                    throw new UsageException(
                            "--secret: expected key=value fields, got '" + field + "' in '" + spec + "'");
                }
                fields.put(field.substring(0, eq), field.substring(eq + 1));
            }
            String id = fields.get("id");
            if (id == null || id.isEmpty()) {
                throw new UsageException("--secret " + spec + ": needs id=");
            }
            String src = fields.getOrDefault("src", fields.get("source"));
            String env = fields.get("env");
            if (src == null && env == null) {
                if (environment.containsKey(id)) {
                    env = id;
                } else {
                    src = id;
                }
            }
            if (env != null) {
                String value = environment.get(env);
                if (value == null) {
                    throw new UsageException("--secret " + spec + ": environment variable " + env + " is not set");
                }
                secrets.put(id, value.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            } else {
                Path file = Path.of(src);
                if (!Files.isRegularFile(file)) {
                    throw new UsageException("--secret " + spec + ": " + src + " is not a file");
                }
                secrets.put(id, Files.readAllBytes(file));
            }
        }
        return secrets;
    }

    /** {@code ID} (the agent at $SSH_AUTH_SOCK) or {@code ID=SOCKET}. */
    static Map<String, Path> parseSsh(List<String> specs, Map<String, String> environment) throws UsageException {
        Map<String, Path> sockets = new LinkedHashMap<>();
        for (String spec : specs) {
            int eq = spec.indexOf('=');
            String id = eq < 0 ? spec : spec.substring(0, eq);
            String socket = eq < 0 ? environment.get("SSH_AUTH_SOCK") : spec.substring(eq + 1);
            if (socket == null || socket.isEmpty()) {
                throw new UsageException(
                        "--ssh " + spec + ": no agent socket (SSH_AUTH_SOCK is not set; give --ssh " + id + "=SOCKET)");
            }
            if (!Files.exists(Path.of(socket))) {
                throw new UsageException("--ssh " + spec + ": " + socket + " does not exist");
            }
            sockets.put(id.isEmpty() ? "default" : id, Path.of(socket).toAbsolutePath());
        }
        return sockets;
    }
}
