package dev.kiln.worker;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real git daemon on 127.0.0.1 serving every repository under a directory as
 * {@code git://127.0.0.1:PORT/NAME}, and git itself run as a test author, for the tests of git sources.
 */
public record GitDaemon(Process process, int port) implements AutoCloseable {

    /** Starts serving the repositories under {@code base}, the daemon's output going to {@code log}. */
    public static GitDaemon serve(Path base, Path log) throws IOException, InterruptedException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Process process = new ProcessBuilder(
                        "git",
                        "daemon",
                        "--reuseaddr",
                        "--export-all",
                        "--base-path=" + base,
                        "--listen=127.0.0.1",
                        "--port=" + port,
                        base.toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        GitDaemon daemon = new GitDaemon(process, port);
        for (int i = 0; i < 100; i++) {
            try (Socket socket = new Socket("127.0.0.1", port)) {
                return daemon;
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        daemon.close();
        throw new IllegalStateException("git daemon did not listen on " + port);
    }

    /** The git:// URL of the repository {@code name} under the served directory. */
    public String url(String name) {
        return "git://127.0.0.1:" + port + "/" + name;
    }

    /** Runs git in {@code dir} with a fixed author; a failure throws with git's output. */
    public static void git(Path dir, String... args) throws IOException, InterruptedException {
        List<String> command =
                new ArrayList<>(List.of("git", "-c", "user.name=Kiln Test", "-c", "user.email=test@kiln.invalid"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.waitFor() != 0) {
            throw new IOException("git " + String.join(" ", args) + ": " + output);
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        process.waitFor(10, TimeUnit.SECONDS);
    }
}
