package dev.kiln.cli;

import dev.kiln.core.OnFirstUse;
import dev.kiln.gateway.Client;
import dev.kiln.gateway.Container;
import dev.kiln.gateway.ContainerProcess;
import dev.kiln.gateway.Mount;
import dev.kiln.gateway.NewContainerRequest;
import dev.kiln.gateway.Reference;
import dev.kiln.gateway.SolveError;
import dev.kiln.gateway.StartRequest;
import dev.kiln.llb.pb.ExecOp;
import dev.kiln.llb.pb.MountType;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A container on a failed RUN step made through the gateway API, as buildx's debugger makes it from BuildKit's
 * SolveError: the step's mounts (its root as the process left it) at their places, and its process settings (env,
 * user, working directory, network, security) for every process started in it.
 */
final class FailedStepShell implements AutoCloseable {

    private final SolveError failure;
    private final ExecOp exec;
    /** The step's container, made when the user starts the first process. */
    private final OnFirstUse<Container, InterruptedException> container;

    /** @throws IllegalArgumentException when the failed step ran no process (a file operation, a pull) */
    FailedStepShell(Client client, SolveError failure) {
        this.failure = failure;
        this.exec = failure.exec()
                .orElseThrow(() -> new IllegalArgumentException("the failed step ran no process to open a shell in"));
        this.container = new OnFirstUse<>(() -> client.newContainer(new NewContainerRequest(
                mounts(),
                exec.getNetwork(),
                exec.getMeta().getExtraHostsList(),
                null,
                null,
                exec.getMeta().getHostname())));
    }

    /** The step's command, as the user wrote it. */
    String step() {
        return String.join(" ", exec.getMeta().getArgsList());
    }

    /** Starts {@code args} in the step's container. */
    synchronized ContainerProcess start(
            List<String> args, InputStream in, OutputStream out, OutputStream err, boolean tty)
            throws InterruptedException {
        return container.get().start(StartRequest.inStep(exec, args, tty, in, out, err));
    }

    /** The step's mounts, each from the failure's reference at its place; the ones that keep nothing made anew. */
    private List<Mount> mounts() {
        List<Mount> mounts = new ArrayList<>();
        for (int i = 0; i < exec.getMountsCount(); i++) {
            dev.kiln.llb.pb.Mount mount = exec.getMounts(i);
            Reference ref = i < failure.mounts().size() ? failure.mounts().get(i) : null;
            if (mount.getMountType() == MountType.BIND
                    && ref == null
                    && !mount.getDest().equals("/")) {
                continue; // a scratch input: nothing to show
            }
            mounts.add(Mount.of(mount, ref));
        }
        return mounts;
    }

    @Override
    public synchronized void close() throws InterruptedException {
        Optional<Container> made = container.take();
        if (made.isPresent()) {
            made.get().release();
        }
    }
}
