package dev.kiln.cli;

import dev.kiln.gateway.BuildFunction;
import dev.kiln.gateway.Client;
import dev.kiln.gateway.Reference;
import dev.kiln.gateway.Result;
import dev.kiln.gateway.SolveError;
import dev.kiln.gateway.SolveRequest;

/**
 * {@code kiln build --on-error shell} through a daemon: the build's frontend is solved from this process over the
 * daemon's gateway (a forwarded build, as buildx's debugger runs its builds), every result evaluated so that a failing
 * step fails here; when a RUN step failed, the daemon's {@link SolveError} names its files and the user gets a shell
 * in a container on them. The failure then stands as the build's.
 */
final class DebugOnFailure implements BuildFunction {

    /** Opens the shell on a failed step; returns when the user leaves it. */
    @FunctionalInterface
    interface Shell {
        void open(FailedStepShell step) throws InterruptedException;
    }

    private final BuildFunction frontend;
    private final Shell shell;

    /** @param frontend the build's frontend, run here: {@link #solving} one the engine has, or a Java frontend */
    DebugOnFailure(BuildFunction frontend, Shell shell) {
        this.frontend = frontend;
        this.shell = shell;
    }

    /** A frontend that has the engine solve {@code request} (a frontend by name with its options, or LLB). */
    static BuildFunction solving(SolveRequest request) {
        return client -> client.solve(request.withEvaluate(true));
    }

    @Override
    public Result build(Client client) throws Exception {
        try {
            Result result = frontend.build(client);
            // a frontend's references are lazy: the steps run (and may fail) when they are evaluated, here
            for (Reference ref : result.refs().values()) {
                ref.evaluate();
            }
            if (result.ref().isPresent()) {
                result.ref().get().evaluate();
            }
            return result;
        } catch (SolveError failed) {
            if (failed.exec().isPresent()) {
                try (FailedStepShell step = new FailedStepShell(client, failed)) {
                    shell.open(step);
                }
            }
            throw failed;
        }
    }
}
