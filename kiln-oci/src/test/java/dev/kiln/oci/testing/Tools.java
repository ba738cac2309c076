package dev.kiln.oci.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Third-party tools the tests check Kiln's output with (Debian's skopeo and umoci, GNU tar, runc), run as a user
 * would run them: a test reads their stdout, and a tool that fails fails the test with everything it printed.
 */
public final class Tools {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Tools() {}

    /** Runs a command in the test JVM's working directory; see {@link #run(Path, String...)}. */
    public static String run(String... command) throws IOException, InterruptedException {
        return run(null, command);
    }

    /**
     * Runs a command in {@code workDir} and returns its stdout; a non-zero exit fails with the command's stdout and
     * stderr. Stderr is read apart, so a tool's warnings never end up in the JSON a test parses.
     */
    public static String run(Path workDir, String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command)
                .directory(workDir == null ? null : workDir.toFile())
                .redirectError(ProcessBuilder.Redirect.PIPE)
                .start();
        process.getOutputStream().close();
        byte[][] err = new byte[1][];
        Thread drain = Thread.ofVirtual().start(() -> {
            try {
                err[0] = process.getErrorStream().readAllBytes();
            } catch (IOException e) {
                err[0] = e.toString().getBytes(StandardCharsets.UTF_8);
            }
        });
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int code = process.waitFor();
        drain.join();
        if (code != 0) {
            throw new AssertionError(String.join(" ", command) + " exited with " + code + ":\n" + out + "\n"
                    + new String(err[0], StandardCharsets.UTF_8));
        }
        return out;
    }

    /** {@code skopeo inspect} of {@code image} (a transport:reference), as JSON. */
    public static JsonNode skopeoInspect(Path workDir, String image, String... flags)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("skopeo", "inspect"));
        if (image.startsWith("docker://")) {
            command.add("--tls-verify=false");
        }
        command.addAll(List.of(flags));
        command.add(image);
        return JSON.readTree(run(workDir, command.toArray(String[]::new)));
    }
}
