package dev.kiln.oci.testing;

import dev.kiln.core.ImageReference;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Debian's docker-registry (distribution v2) on 127.0.0.1 at a free port, storing into a temporary directory:
 * anonymous, with htpasswd (bcrypt) auth, or with token auth against a {@link RegistryTokenServer}. Use it as a
 * JUnit extension, started before and stopped after the test class:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final LocalRegistry registry = LocalRegistry.anonymous();
 * }</pre>
 *
 * or start and close it yourself.
 */
public final class LocalRegistry implements BeforeAllCallback, AfterAllCallback, AutoCloseable {
    public static final Path BINARY = Path.of("/usr/bin/docker-registry");
    private static final long START_TIMEOUT_MILLIS = 30_000;

    /** Whom the registry lets in: one of the three kinds its configuration can say. */
    private sealed interface Auth {
        record Anonymous() implements Auth {}

        record Basic(String user, String password) implements Auth {}

        record Token(RegistryTokenServer server) implements Auth {}
    }

    private final Auth auth;
    private Path directory;
    private Process process;
    private int port;

    private LocalRegistry(Auth auth) {
        this.auth = auth;
    }

    /** A registry anyone may push to and pull from. */
    public static LocalRegistry anonymous() {
        return new LocalRegistry(new Auth.Anonymous());
    }

    /** A registry that wants HTTP Basic auth as {@code user} with {@code password} for everything. */
    public static LocalRegistry withBasicAuth(String user, String password) {
        return new LocalRegistry(new Auth.Basic(user, password));
    }

    /** A registry that wants bearer tokens from {@code tokens} for everything. */
    public static LocalRegistry withTokenAuth(RegistryTokenServer tokens) {
        return new LocalRegistry(new Auth.Token(tokens));
    }

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        start();
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        close();
    }

    /** Starts the registry and waits until it accepts connections; does nothing when running. */
    public synchronized LocalRegistry start() throws IOException {
        if (process != null) {
            return this;
        }
        if (!Files.isExecutable(BINARY)) {
            throw new IOException(BINARY + " is missing: apt-get install docker-registry");
        }
        directory = Files.createTempDirectory("kiln-registry-");
        IOException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                launch(freePort());
                return this;
            } catch (IOException e) {
                last = e;
            }
        }
        throw last;
    }

    private void launch(int candidate) throws IOException {
        Path config = directory.resolve("config.yml");
        Files.writeString(config, config(candidate));
        Path log = directory.resolve("registry.log");
        Process started = new ProcessBuilder(BINARY.toString(), "serve", config.toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MILLIS);
        while (System.nanoTime() < deadline) {
            if (!started.isAlive()) {
                throw new IOException("docker-registry exited with " + started.exitValue() + " at start: "
                        + Files.readString(log, StandardCharsets.UTF_8));
            }
            try {
                new Socket(InetAddress.getLoopbackAddress(), candidate).close();
                process = started;
                port = candidate;
                return;
            } catch (IOException notYet) {
                sleep();
            }
        }
        started.destroyForcibly();
        throw new IOException("docker-registry did not listen on 127.0.0.1:" + candidate + " within "
                + START_TIMEOUT_MILLIS + " ms: " + Files.readString(log, StandardCharsets.UTF_8));
    }

    private String config(int candidate) throws IOException {
        StringBuilder yaml = new StringBuilder("""
        version: 0.1
        log:
          level: info
          accesslog:
            disabled: true
        storage:
          filesystem:
            rootdirectory: %s
          delete:
            enabled: true
        http:
          addr: 127.0.0.1:%d
          secret: kiln-test-upload-state-secret
        """.formatted(directory.resolve("storage"), candidate));
        switch (auth) {
            case Auth.Anonymous() -> {}
            case Auth.Basic(String user, String password) -> {
                Path htpasswd = directory.resolve("htpasswd");
                Files.writeString(htpasswd, Bcrypt.htpasswdLine(user, password));
                yaml.append("""
          auth:
            htpasswd:
              realm: kiln-test-registry
              path: %s
          """.formatted(htpasswd));
            }
            case Auth.Token(RegistryTokenServer server) -> {
                yaml.append("auth:\n  token:\n");
                server.registryAuthSettings()
                        .forEach((name, value) -> yaml.append("    ")
                                .append(name)
                                .append(": ")
                                .append(value)
                                .append('\n'));
            }
        }
        return yaml.toString();
    }

    /** "127.0.0.1:PORT", the registry part of its image references. */
    public String host() {
        requireStarted();
        return "127.0.0.1:" + port;
    }

    public int port() {
        requireStarted();
        return port;
    }

    /** A reference in this registry, e.g. {@code reference("app:1")}. */
    public ImageReference reference(String repositoryAndTag) {
        return ImageReference.parseNormalized(host() + "/" + repositoryAndTag);
    }

    /** The registry's output so far, for failure messages. */
    public String log() throws IOException {
        return Files.readString(directory.resolve("registry.log"), StandardCharsets.UTF_8);
    }

    /** Stops the registry and deletes its storage. */
    @Override
    public synchronized void close() throws IOException {
        if (process != null) {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor();
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
            process = null;
        }
        if (directory != null) {
            try (Stream<Path> files = Files.walk(directory)) {
                for (Path path : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(path);
                }
            }
            directory = null;
        }
    }

    private void requireStarted() {
        if (process == null) {
            throw new IllegalStateException(
                    "the registry is not started; register it with @RegisterExtension or call " + "start()");
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static void sleep() throws IOException {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted starting docker-registry", e);
        }
    }
}
