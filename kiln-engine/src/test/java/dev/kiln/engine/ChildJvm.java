package dev.kiln.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A second JVM, as a second kiln process would be, that a test starts to hold something (a lock, an open file) from
 * outside this process: it says it holds it on its first line of output, and the test kills it or lets it end.
 */
final class ChildJvm {

    private ChildJvm() {}

    /** Starts {@code java args...} on this JVM's java and returns once its first line of output is {@code ready}. */
    static Process startAndAwait(String ready, String... args) throws Exception {
        List<String> command =
                new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java")));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        BufferedReader out =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        assertThat(out.readLine()).isEqualTo(ready);
        return process;
    }
}
