package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.api.DaemonEndpoint;
import dev.kiln.worker.HostProcesses;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A daemon killed with SIGKILL in the middle of a build: its client fails with a message, the step's container goes
 * with it, and the next build starts a new daemon on the same state, which builds.
 */
class DaemonRecoveryTest extends WithBusyboxContext {

    Path state;

    @BeforeEach
    void stateDirectory() {
        state = tmp.resolve("state");
    }

    @AfterEach
    void stopDaemon() throws Exception {
        StateDaemon.stop(state);
    }

    private int kiln(ByteArrayOutputStream err, String dockerfile) throws Exception {
        Files.writeString(context.resolve("Dockerfile"), dockerfile);
        return new DaemonBuild(
                        new PrintStream(new ByteArrayOutputStream()),
                        new PrintStream(err, true),
                        InputStream.nullInputStream())
                .run(Invocation.parse(StateDaemon.busyboxBuild(state, rootfs, context)));
    }

    /** A build of one step through the state's daemon, which it starts; it must succeed. */
    private void startDaemonByBuilding() throws Exception {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertThat(kiln(err, "FROM busybox\nRUN true\n")).as(err.toString()).isZero();
    }

    @Test
    void aKilledDaemonFailsItsBuildAndTheNextBuildStartsANewOne() throws Exception {
        String marker = "sleep " + (500 + System.nanoTime() % 400);
        ByteArrayOutputStream firstErr = new ByteArrayOutputStream();
        CompletableFuture<Integer> first = CompletableFuture.supplyAsync(() -> {
            try {
                return kiln(firstErr, "FROM busybox\nRUN " + marker + "\n");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!HostProcesses.anyRuns(marker)) {
            assertThat(System.nanoTime()).as("the step started: " + firstErr).isLessThan(deadline);
            Thread.sleep(100);
        }
        long killed = DaemonEndpoint.running(state).orElseThrow().pid();
        ProcessHandle.of(killed).orElseThrow().destroyForcibly();

        assertThat(first.get(60, TimeUnit.SECONDS)).isNotZero();
        assertThat(firstErr.toString(StandardCharsets.UTF_8)).contains("daemon");
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (HostProcesses.anyRuns(marker)) {
            assertThat(System.nanoTime())
                    .as("the killed daemon's container is gone")
                    .isLessThan(deadline);
            Thread.sleep(100);
        }

        ByteArrayOutputStream secondErr = new ByteArrayOutputStream();
        int second = kiln(secondErr, "FROM busybox\nRUN echo after-the-kill\n");

        assertThat(second).as(secondErr.toString(StandardCharsets.UTF_8)).isZero();
        assertThat(secondErr.toString(StandardCharsets.UTF_8)).contains("started a daemon");
        assertThat(DaemonEndpoint.running(state).orElseThrow().pid()).isNotEqualTo(killed);
    }

    @Test
    void daemonStatusNamesTheRunningDaemonAndStopEndsIt() throws Exception {
        startDaemonByBuilding();
        long pid = DaemonEndpoint.running(state).orElseThrow().pid();

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream originalOut = System.out;
        System.setOut(new PrintStream(out, true));
        try {
            assertThat(Main.run(List.of("daemon", "status", "--state", state.toString())))
                    .isZero();
            assertThat(out.toString(StandardCharsets.UTF_8))
                    .contains("pid " + pid)
                    .contains(state.toString());
            assertThat(Main.run(List.of("daemon", "stop", "--state", state.toString())))
                    .isZero();
        } finally {
            System.setOut(originalOut);
        }
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
                .isFalse();
        assertThat(DaemonEndpoint.running(state)).isEmpty();
        assertThat(state.resolve("kiln.sock")).doesNotExist();
    }

    @Test
    void aDaemonStartedByAnOlderBuildIsReplacedByTheNextBuild() throws Exception {
        startDaemonByBuilding();
        DaemonEndpoint first = DaemonEndpoint.running(state).orElseThrow();
        assertThat(first.code()).isEqualTo(DaemonEndpoint.codeStamp());
        // as if kiln was rebuilt since this daemon started: its record names other jars
        new DaemonEndpoint(state, first.address(), first.pid(), "an-older-build").record();

        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertThat(kiln(err, "FROM busybox\nRUN true\n")).as(err.toString()).isZero();

        assertThat(err.toString(StandardCharsets.UTF_8))
                .contains("runs an older build of kiln; replacing it")
                .contains("started a daemon");
        assertThat(ProcessHandle.of(first.pid()).map(ProcessHandle::isAlive).orElse(false))
                .isFalse();
        assertThat(DaemonEndpoint.running(state).orElseThrow().pid()).isNotEqualTo(first.pid());
    }
}
