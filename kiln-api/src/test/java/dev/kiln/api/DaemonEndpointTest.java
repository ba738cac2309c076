package dev.kiln.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which daemon a state names: only one whose process still runs. */
class DaemonEndpointTest {

    @Test
    void aRecordWhoseProcessEndedNamesNoDaemon(@TempDir Path state) throws Exception {
        Process ended = new ProcessBuilder("true").start();
        ended.waitFor();
        ended.onExit().get();
        record(state, ended.pid());
        assertThat(DaemonEndpoint.running(state)).isEmpty();

        record(state, ProcessHandle.current().pid());
        assertThat(DaemonEndpoint.running(state))
                .hasValueSatisfying(daemon -> assertThat(daemon.pid())
                        .isEqualTo(ProcessHandle.current().pid()));
    }

    private static void record(Path state, long pid) throws Exception {
        Properties properties = new Properties();
        properties.setProperty("pid", Long.toString(pid));
        properties.setProperty("address", "unix://" + state.resolve("kiln.sock"));
        try (var out = Files.newBufferedWriter(state.resolve(DaemonEndpoint.RECORD_FILE))) {
            properties.store(out, null);
        }
    }
}
