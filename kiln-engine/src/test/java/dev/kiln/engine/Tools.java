package dev.kiln.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Third-party tools the image tests check Kiln's output with: Debian's skopeo and umoci, GNU tar. */
final class Tools {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Tools() {}

    /** Runs a command and returns its stdout; a non-zero exit fails with the command's output. */
    static String run(Path workDir, String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command)
                .directory(workDir.toFile())
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
    static JsonNode skopeoInspect(Path workDir, String image, String... flags) throws Exception {
        List<String> command = new ArrayList<>(List.of("skopeo", "inspect"));
        if (image.startsWith("docker://")) {
            command.add("--tls-verify=false");
        }
        command.addAll(List.of(flags));
        command.add(image);
        return JSON.readTree(run(workDir, command.toArray(String[]::new)));
    }
}
