package dev.kiln.engine;

import dev.kiln.engine.gateway.BuildContext;
import dev.kiln.engine.gateway.LocalContainer;
import dev.kiln.gateway.ContainerProcess;
import dev.kiln.gateway.StartRequest;
import dev.kiln.llb.pb.ExecOp;
import dev.kiln.worker.ops.FailedStep;
import dev.kiln.worker.snapshot.Snapshot;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;

/**
 * A way into one step of a build: a container whose root filesystem is the step's (as a failed
 * RUN step's process left it, or a finished step's result), in which a shell (or any command)
 * runs with the step's environment, user and working directory. Closing it releases the
 * container and, for a failure, forgets the failure's filesystem.
 */
public final class DebugShell implements AutoCloseable {

    private final BuildContext build;
    private final String step;
    private final Snapshot root;
    private final ExecOp exec;
    private final List<Snapshot> inputs;
    private final boolean ownsRoot;
    private LocalContainer container;

    private DebugShell(
            BuildContext build, String step, Snapshot root, ExecOp exec, List<Snapshot> inputs, boolean ownsRoot) {
        this.build = build;
        this.step = step;
        this.root = root;
        this.exec = exec;
        this.inputs = inputs;
        this.ownsRoot = ownsRoot;
    }

    /** The container of a failed RUN step, with all its mounts. */
    static DebugShell ofFailure(BuildContext build, FailedStep failed) {
        boolean isInput = failed.root().isScratch()
                || failed.inputs().stream()
                        .anyMatch(input -> input.id().equals(failed.root().id()));
        return new DebugShell(
                build,
                String.join(" ", failed.exec().getMeta().getArgsList()),
                failed.root(),
                failed.exec(),
                failed.inputs(),
                !isInput);
    }

    /** A finished step's result as a root filesystem, with the step's process settings if it ran one. */
    static DebugShell ofResult(BuildContext build, String step, Snapshot result, ExecOp exec) {
        return new DebugShell(build, step, result, exec, List.of(), false);
    }

    /** What the step is: its command for a RUN step, else its name. */
    public String step() {
        return step;
    }

    /**
     * Starts {@code args} (a shell, usually) in the step's container.
     *
     * @param tty run on a pseudo-terminal: for a user at a terminal; {@code out} then gets everything
     */
    public synchronized ContainerProcess start(
            List<String> args, InputStream in, OutputStream out, OutputStream err, boolean tty)
            throws InterruptedException {
        if (container == null) {
            container = LocalContainer.forStep(build, root, exec, inputs);
        }
        return container.start(StartRequest.inStep(exec, args, tty, in, out, err));
    }

    @Override
    public synchronized void close() throws IOException {
        if (container != null) {
            container.release();
            container = null;
        }
        build.releaseContainers();
        if (ownsRoot) {
            build.worker().snapshotter().remove(root.id());
        }
    }
}
