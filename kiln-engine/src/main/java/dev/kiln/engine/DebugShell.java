package dev.kiln.engine;

import dev.kiln.engine.gateway.BuildContext;
import dev.kiln.engine.gateway.LocalContainer;
import dev.kiln.gateway.ContainerProcess;
import dev.kiln.gateway.StartRequest;
import dev.kiln.llb.pb.Meta;
import dev.kiln.worker.ops.FailedStep;
import dev.kiln.worker.snapshot.Snapshot;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;

/**
 * A way into a RUN step that failed: a container with the step's root filesystem as the process
 * left it and the step's other mounts, in which a shell (or any command) runs with the step's
 * environment, user and working directory. Closing it releases the container and forgets the
 * failure's filesystem.
 */
public final class DebugShell implements AutoCloseable {

    private final BuildContext build;
    private final FailedStep step;
    private LocalContainer container;

    DebugShell(BuildContext build, FailedStep step) {
        this.build = build;
        this.step = step;
    }

    /** The failed command, as the step ran it. */
    public List<String> command() {
        return step.exec().getMeta().getArgsList();
    }

    /**
     * Starts {@code args} (a shell, usually) in the failed step's container.
     *
     * @param tty run on a pseudo-terminal: for a user at a terminal; {@code out} then gets everything
     */
    public synchronized ContainerProcess start(List<String> args, InputStream in, OutputStream out, OutputStream err,
            boolean tty) throws InterruptedException {
        if (container == null) {
            container = LocalContainer.forFailedStep(build, step);
        }
        Meta meta = step.exec().getMeta();
        return container.start(new StartRequest(args, meta.getEnvList(), meta.getUser(),
                meta.getCwd().isEmpty() ? "/" : meta.getCwd(), tty, in, out, err, step.exec().getSecurity()));
    }

    @Override
    public synchronized void close() throws IOException {
        if (container != null) {
            container.release();
            container = null;
        }
        build.releaseContainers();
        if (!isAnInput(step.root())) {
            build.worker().snapshotter().remove(step.root().id());
        }
    }

    /** An unchanged root commits to its parent snapshot, which is not the failure's to remove. */
    private boolean isAnInput(Snapshot root) {
        return step.inputs().stream().anyMatch(input -> input.id().equals(root.id())) || root.isScratch();
    }
}
