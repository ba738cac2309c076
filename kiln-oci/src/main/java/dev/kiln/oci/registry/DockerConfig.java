package dev.kiln.oci.registry;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Credentials as the docker CLI keeps them in {@code config.json}: {@code credHelpers} (a helper per registry),
 * {@code auths} (base64 "user:password" in {@code auth}, or {@code username}/{@code password}) and
 * {@code credsStore} (a helper for every registry), asked in that order. Helpers run as
 * {@code docker-credential-<name> get}.
 */
public final class DockerConfig implements CredentialSource {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DOCKER_HUB_SERVER = "https://index.docker.io/v1/";
    private static final List<String> DOCKER_HUB_NAMES =
            List.of("docker.io", "index.docker.io", "registry-1.docker.io");

    private final Path file;
    private final JsonNode config;
    private final List<Path> helperPath;

    private DockerConfig(Path file, JsonNode config, List<Path> helperPath) {
        this.file = file;
        this.config = config;
        this.helperPath = List.copyOf(helperPath);
    }

    /**
     * The config the docker CLI would use: {@code $DOCKER_CONFIG/config.json}, else {@code ~/.docker/config.json};
     * helpers are looked up on PATH.
     */
    public static DockerConfig fromEnvironment() throws IOException {
        return fromEnvironment(System.getenv());
    }

    /** As {@link #fromEnvironment()}, with DOCKER_CONFIG, HOME and PATH taken from {@code environment}. */
    public static DockerConfig fromEnvironment(Map<String, String> environment) throws IOException {
        String dockerConfig = environment.getOrDefault("DOCKER_CONFIG", "");
        String home = environment.getOrDefault("HOME", System.getProperty("user.home"));
        Path directory = !dockerConfig.isEmpty() ? Path.of(dockerConfig) : Path.of(home, ".docker");
        return load(directory.resolve("config.json"), searchPath(environment.getOrDefault("PATH", "")));
    }

    /** The config in {@code file} (a missing file means no credentials), helpers looked up on PATH. */
    public static DockerConfig load(Path file) throws IOException {
        return load(file, searchPath(System.getenv().getOrDefault("PATH", "")));
    }

    /**
     * The config in {@code file}; credential helpers are looked up in {@code helperPath}.
     *
     * @throws IOException naming the file and the field when it is not a valid docker config
     */
    public static DockerConfig load(Path file, List<Path> helperPath) throws IOException {
        JsonNode config;
        try {
            config = JSON.readTree(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            config = JSON.createObjectNode();
        } catch (JacksonException e) {
            throw new IOException("docker config " + file + " is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (config == null || !config.isObject()) {
            throw new IOException("docker config " + file + ": expected a JSON object");
        }
        for (String field : List.of("auths", "credHelpers")) {
            if (config.has(field) && !config.get(field).isObject()) {
                throw new IOException("docker config " + file + ": field " + field + ": expected an object");
            }
        }
        return new DockerConfig(file, config, helperPath);
    }

    public Path file() {
        return file;
    }

    @Override
    public String describe() {
        return file.toString();
    }

    @Override
    public Optional<Credentials> find(String registry) throws IOException {
        String helper = matching(config.path("credHelpers"), registry)
                .map(JsonNode::asText)
                .orElse("");
        if (!helper.isEmpty()) {
            return runHelper(helper, registry);
        }
        Optional<JsonNode> auth = matching(config.path("auths"), registry);
        if (auth.isPresent()) {
            Optional<Credentials> fromAuths = fromAuthsEntry(registry, auth.get());
            if (fromAuths.isPresent()) {
                return fromAuths;
            }
        }
        String store = config.path("credsStore").asText("");
        return store.isEmpty() ? Optional.empty() : runHelper(store, registry);
    }

    private Optional<Credentials> fromAuthsEntry(String registry, JsonNode entry) throws IOException {
        String field = "auths." + registry;
        String encoded = entry.path("auth").asText("");
        if (!encoded.isEmpty()) {
            String decoded;
            try {
                decoded = new String(Base64.getDecoder().decode(encoded.trim()), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw new IOException(
                        "docker config " + file + ": field " + field + ".auth: not base64: " + e.getMessage());
            }
            int colon = decoded.indexOf(':');
            if (colon < 0) {
                throw new IOException("docker config " + file + ": field " + field
                        + ".auth: expected base64 of \"user:password\", found no ':'");
            }
            return Optional.of(
                    new Credentials(decoded.substring(0, colon), decoded.substring(colon + 1), file.toString()));
        }
        String username = entry.path("username").asText("");
        if (!username.isEmpty()) {
            return Optional.of(new Credentials(username, entry.path("password").asText(""), file.toString()));
        }
        return Optional.empty();
    }

    /** The entry whose key names {@code registry}, however the docker CLI wrote it (with scheme, with path). */
    private static Optional<JsonNode> matching(JsonNode entries, String registry) {
        if (!entries.isObject()) {
            return Optional.empty();
        }
        List<String> names = isDockerHub(registry) ? DOCKER_HUB_NAMES : List.of(registry);
        JsonNode exact = entries.get(isDockerHub(registry) ? DOCKER_HUB_SERVER : registry);
        if (exact != null) {
            return Optional.of(exact);
        }
        for (Map.Entry<String, JsonNode> entry : entries.properties()) {
            if (names.contains(hostOf(entry.getKey()))) {
                return Optional.of(entry.getValue());
            }
        }
        return Optional.empty();
    }

    private static String hostOf(String key) {
        String host = key;
        if (host.startsWith("https://")) {
            host = host.substring("https://".length());
        } else if (host.startsWith("http://")) {
            host = host.substring("http://".length());
        }
        int slash = host.indexOf('/');
        return slash < 0 ? host : host.substring(0, slash);
    }

    private static boolean isDockerHub(String registry) {
        return DOCKER_HUB_NAMES.contains(registry);
    }

    private Optional<Credentials> runHelper(String name, String registry) throws IOException {
        String program = "docker-credential-" + name;
        Path executable = helperPath.stream()
                .map(dir -> dir.resolve(program))
                .filter(Files::isExecutable)
                .findFirst()
                .orElseThrow(() -> new IOException("credential helper " + program + " named in " + file
                        + " is not installed (looked in " + helperPath + ")"));
        String server = isDockerHub(registry) ? DOCKER_HUB_SERVER : registry;
        Process process = new ProcessBuilder(executable.toString(), "get").start();
        // Written beside the reads, and never an error of its own: a helper may answer and exit without reading the
        // server (as helpers that know nothing do), and the write then meets a closed pipe. Its exit status and output
        // say what it meant, as for docker's own client, which ignores that broken pipe too.
        // Platform threads: a virtual thread blocked on a process pipe holds its carrier, and in a daemon a slow helper
        // would hold carriers every other build needs.
        Thread feeder = Thread.ofPlatform().daemon().start(() -> {
            try (OutputStream stdin = process.getOutputStream()) {
                stdin.write(server.getBytes(StandardCharsets.UTF_8));
            } catch (IOException ignored) {
                // the helper stopped reading; see above
            }
        });
        byte[] stdout;
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        try (InputStream out = process.getInputStream();
                InputStream err = process.getErrorStream()) {
            Thread errReader = Thread.ofPlatform().daemon().start(() -> {
                try {
                    err.transferTo(stderr);
                } catch (IOException ignored) {
                    // the exit code and stdout tell what went wrong
                }
            });
            stdout = out.readAllBytes();
            errReader.join();
            process.waitFor();
            feeder.join();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted running " + program);
        }
        String output = (new String(stdout, StandardCharsets.UTF_8) + stderr.toString(StandardCharsets.UTF_8)).trim();
        if (process.exitValue() != 0) {
            if (output.toLowerCase(java.util.Locale.ROOT).contains("credentials not found")) {
                return Optional.empty();
            }
            throw new IOException(
                    program + " get " + server + " failed with exit code " + process.exitValue() + ": " + output);
        }
        JsonNode answer;
        try {
            answer = JSON.readTree(stdout);
        } catch (JacksonException e) {
            throw new IOException(program + " get " + server + " did not print JSON: " + e.getOriginalMessage(), e);
        }
        String username = answer == null ? "" : answer.path("Username").asText("");
        String secret = answer == null ? "" : answer.path("Secret").asText("");
        if (secret.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Credentials(username, secret, program));
    }

    private static List<Path> searchPath(String path) {
        List<Path> directories = new ArrayList<>();
        for (String entry : path.split(File.pathSeparator)) {
            if (!entry.isEmpty()) {
                directories.add(Path.of(entry));
            }
        }
        return directories;
    }
}
