package dev.kiln.worker.runtime;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Deletes a runtime's containers when the process that started them dies, however it dies (kill -9 included).
 *
 * <p>A container outlives the JVM on its own: {@code runc run} forks the container's init, so a parent-death
 * signal on the runtime kills only the runtime, and the container (reparented to init) goes on with its mounts.
 * Instead one small shell per runtime, in a session of its own so that signals to the JVM's process group or
 * terminal do not reach it, reads the ids of live containers from a pipe whose write end only this JVM holds (the
 * JDK closes every other descriptor in the processes it starts, the runtimes included). When the JVM dies the
 * kernel closes that end; the shell reads end-of-file and deletes by force every container still listed, which
 * kills its init and with it the whole pid namespace. A runtime still creating a container at that moment
 * finishes after the first delete, hence one more round a second later for the ids whose delete failed. Mounts
 * and bundles stay for the next open ({@link ContainerRuntime#of}) to remove.
 */
final class Watchdog implements AutoCloseable {
    /** Reads "+ id" and "- id" lines; at end-of-file deletes what is still listed. $1 is the runtime, $2 its root. */
    private static final String SCRIPT = """
      ids=' '
      while read -r op id; do
        case $op in
          +) ids="$ids$id " ;;
          -) case $ids in *" $id "*) ids="${ids%% $id *} ${ids#* $id }" ;; esac ;;
        esac
      done
      left=
      for id in $ids; do "$1" --root "$2" delete --force "$id" || left="$left $id"; done
      [ -z "$left" ] && exit 0
      sleep 1
      for id in $left; do "$1" --root "$2" delete --force "$id"; done
      exit 0
      """;

    private static final long CLOSE_WAIT_SECONDS = 10;

    private final List<String> command;
    private final Set<String> watched = new LinkedHashSet<>();
    private Process process;
    private boolean closed;

    Watchdog(Path runtime, Path runtimeRoot, Optional<Path> setsid) {
        List<String> command = new ArrayList<>();
        setsid.ifPresent(path -> command.add(path.toString()));
        command.addAll(List.of("/bin/sh", "-c", SCRIPT, "kiln-watchdog", runtime.toString(), runtimeRoot.toString()));
        this.command = List.copyOf(command);
    }

    /** Lists a container before its runtime starts, so it is deleted if this JVM dies from now on. */
    synchronized void watch(String id) throws IOException {
        if (closed) {
            throw new IllegalStateException("the container runtime is closed; container " + id + " was not started");
        }
        watched.add(id);
        send("+ " + id + "\n");
    }

    /** Takes a container off the list once it is gone. */
    synchronized void forget(String id) {
        if (watched.remove(id) && !closed) {
            try {
                send("- " + id + "\n");
            } catch (IOException e) {
                // a watchdog that cannot be restarted only means a leftover that the next open deletes
            }
        }
    }

    /** The process id of the watching shell, or empty before the first container. */
    synchronized Optional<Long> pid() {
        return process == null ? Optional.empty() : Optional.of(process.pid());
    }

    /**
     * Ends the watch: the shell deletes the containers still listed (none when each was closed) and exits, which
     * this waits for, so nothing of this runtime runs after it returns.
     */
    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        if (process == null) {
            return;
        }
        process.getOutputStream().close();
        try {
            process.waitFor(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while deleting the containers still running", e);
        }
    }

    /** Writes one line; a watchdog that is gone (killed by someone) is replaced, and learns every listed id. */
    private void send(String line) throws IOException {
        if (process != null && process.isAlive()) {
            try {
                OutputStream in = process.getOutputStream();
                in.write(line.getBytes(StandardCharsets.US_ASCII));
                in.flush();
                return;
            } catch (IOException e) {
                // the shell died between the check and the write: start another below
            }
        }
        process = new ProcessBuilder(command)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        StringBuilder all = new StringBuilder();
        watched.forEach(id -> all.append("+ ").append(id).append('\n'));
        OutputStream in = process.getOutputStream();
        in.write(all.toString().getBytes(StandardCharsets.US_ASCII));
        in.flush();
    }
}
