package dev.kiln.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.engine.export.ExportTarget;
import dev.kiln.llb.RunOption;
import dev.kiln.llb.State;
import dev.kiln.worker.BusyboxRootfs;
import dev.kiln.worker.sys.Mounts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An engine killed with SIGKILL in the middle of a RUN step: its container dies with it, and the next engine on
 * the state finds no mount, runtime container or bundle of it.
 */
class KilledEngineTest {

    @TempDir
    Path dir;

    /**
     * Run in a child JVM: opens an engine on {@code args[0]} and runs a step that sleeps, with a secret mounted.
     * Busybox sleeps for the sum of its arguments: the second, made of {@code args[1]}, is a tag no other process
     * has, not even this JVM.
     */
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Path rootfs = BusyboxRootfs.populate(Files.createDirectories(dir.resolve("rootfs")));
        State state = State.local("rootfs")
                .run(RunOption.sh("sleep 300 " + tag(args[1])), RunOption.secret("token", "/run/secrets/token"))
                .root();
        try (Engine engine = Engine.open(new EngineOptions(dir.resolve("state"), "auto"))) {
            engine.build(
                    new BuildRequest(
                            new FrontendSpec.Llb(state.marshal()),
                            Map.of(),
                            Map.of("rootfs", rootfs),
                            List.of(new ExportTarget.LocalDirectory(Files.createDirectories(dir.resolve("out")))),
                            Map.of("token", "s3cret".getBytes(StandardCharsets.UTF_8)),
                            Map.of()),
                    event -> {});
        }
    }

    @Test
    void aKilledEnginesContainerDiesWithItAndTheNextEngineFindsNothingLeft() throws Exception {
        try (RunningEngine engine = new RunningEngine(dir)) {
            engine.process.destroyForcibly().waitFor();

            long deadline = System.nanoTime() + 3_000_000_000L;
            while (!processesWith(engine.tag).isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(processesWith(engine.tag))
                    .as("processes of the step 3 s after its engine was killed")
                    .isEmpty();

            Engine.open(new EngineOptions(dir.resolve("state"), "auto")).close();

            assertNothingLeft();
        }
    }

    @Test
    void theNextEngineDeletesAContainerThatOutlivedItsEngine() throws Exception {
        try (RunningEngine engine = new RunningEngine(dir)) {
            // as if the whole process tree went at once: the watchdog first, then the engine
            List<ProcessHandle> watchdogs = engine.process
                    .toHandle()
                    .children()
                    .filter(child -> commandLine(child.pid()).contains("kiln-watchdog"))
                    .toList();
            assertThat(watchdogs).as("the engine's watchdog").hasSize(1);
            watchdogs.getFirst().destroyForcibly();
            watchdogs.getFirst().onExit().get();
            engine.process.destroyForcibly().waitFor();
            Thread.sleep(500);
            assertThat(processesWith(engine.tag))
                    .as("the container without engine and watchdog")
                    .isNotEmpty();

            Engine.open(new EngineOptions(dir.resolve("state"), "auto")).close();

            assertThat(processesWith(engine.tag))
                    .as("processes of the step once the next engine opened")
                    .isEmpty();
            assertNothingLeft();
        }
    }

    private void assertNothingLeft() throws Exception {
        Path worker = dir.resolve("state/worker");
        assertThat(mountsUnder(dir))
                .as("mounts under the state after the next engine opened")
                .isEmpty();
        assertThat(containers(worker.resolve("runtime")))
                .as("containers in the runtime's root")
                .isEmpty();
        assertThat(EngineFixture.filesUnder(worker.resolve("runtime/bundles")))
                .as("bundles")
                .isEmpty();
    }

    /** A child JVM whose engine runs the sleeping step; closing it leaves nothing behind, whatever the test did. */
    private static final class RunningEngine implements AutoCloseable {
        final Path dir;
        final String tag;
        final Process process;

        RunningEngine(Path dir) throws Exception {
            this.dir = dir;
            String random = Long.toString(Math.abs(ThreadLocalRandom.current().nextLong()));
            this.tag = tag(random);
            String java = ProcessHandle.current().info().command().orElseThrow();
            Path log = dir.resolve("engine.log");
            this.process = new ProcessBuilder(
                            java,
                            "--enable-native-access=ALL-UNNAMED",
                            "-cp",
                            System.getProperty("java.class.path"),
                            KilledEngineTest.class.getName(),
                            dir.toString(),
                            random)
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            try {
                long deadline = System.nanoTime() + 60_000_000_000L;
                while (processesWith(tag).isEmpty()) {
                    assertThat(process.isAlive())
                            .as("the engine ends before its step runs: %s", Files.readString(log))
                            .isTrue();
                    assertThat(System.nanoTime())
                            .as("the step did not start within 60 s")
                            .isLessThan(deadline);
                    Thread.sleep(50);
                }
                assertThat(mountsUnder(dir.resolve("state/worker")))
                        .as("the step runs on mounts under the state")
                        .isNotEmpty();
            } catch (Exception | AssertionError e) {
                close();
                throw e;
            }
        }

        /** What the engines should have done, so that a failing test leaves nothing running. */
        @Override
        public void close() throws Exception {
            process.destroyForcibly().waitFor();
            deleteContainers(dir.resolve("state/worker/runtime"));
            for (Path mountPoint : Mounts.mountPointsUnder(dir)) {
                Mounts.unmount(mountPoint, Mounts.MNT_DETACH);
            }
        }
    }

    private static String commandLine(long pid) {
        try {
            return new String(
                    Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private static String tag(String random) {
        return "0.00" + random;
    }

    /** Ids of the processes whose command line contains {@code text}. */
    private static List<Long> processesWith(String text) throws IOException {
        try (Stream<Path> processes = Files.list(Path.of("/proc"))) {
            return processes
                    .map(p -> p.getFileName().toString())
                    .filter(name -> name.chars().allMatch(Character::isDigit))
                    .map(Long::parseLong)
                    .filter(pid -> commandLine(pid).contains(text))
                    .toList();
        }
    }

    private static List<String> mountsUnder(Path dir) throws IOException {
        String prefix = dir.toRealPath() + "/";
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .map(line -> line.split(" ")[4])
                .filter(point -> point.startsWith(prefix))
                .toList();
    }

    /** What {@code runc list} (or crun's) shows for each runtime root the worker has. */
    private static List<String> containers(Path runtimeDir) throws Exception {
        List<String> ids = new ArrayList<>();
        for (Path root : runtimeRoots(runtimeDir)) {
            ids.addAll(runtime(root, "list", "-q")
                    .lines()
                    .filter(line -> !line.isBlank())
                    .toList());
        }
        return ids;
    }

    private static void deleteContainers(Path runtimeDir) throws Exception {
        for (Path root : runtimeRoots(runtimeDir)) {
            for (String id : runtime(root, "list", "-q")
                    .lines()
                    .filter(line -> !line.isBlank())
                    .toList()) {
                runtime(root, "delete", "--force", id);
            }
        }
    }

    private static List<Path> runtimeRoots(Path runtimeDir) throws IOException {
        if (!Files.isDirectory(runtimeDir)) {
            return List.of();
        }
        try (Stream<Path> dirs = Files.list(runtimeDir)) {
            return dirs.filter(d -> d.getFileName().toString().endsWith("-state"))
                    .toList();
        }
    }

    /** Runs the runtime whose root {@code root} is ({@code runc-state} is runc's). */
    private static String runtime(Path root, String... arguments) throws Exception {
        String name = root.getFileName().toString().replaceFirst("-state$", "");
        List<String> command = new ArrayList<>(List.of(name, "--root", root.toString()));
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        process.waitFor();
        return output;
    }
}
