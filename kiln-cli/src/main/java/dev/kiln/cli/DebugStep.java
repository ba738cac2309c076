package dev.kiln.cli;

import dev.kiln.gateway.BuildFunction;
import dev.kiln.gateway.Client;
import dev.kiln.gateway.Container;
import dev.kiln.gateway.GatewayException;
import dev.kiln.gateway.Mount;
import dev.kiln.gateway.NewContainerRequest;
import dev.kiln.gateway.Reference;
import dev.kiln.gateway.Result;
import dev.kiln.gateway.SolveRequest;
import dev.kiln.gateway.StartRequest;
import dev.kiln.llb.LlbEdge;
import dev.kiln.llb.LlbGraph;
import dev.kiln.llb.LlbVertex;
import dev.kiln.llb.State;
import dev.kiln.llb.pb.ExecOp;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code kiln debug STEP} through a daemon: the build's frontend is solved from this process over the daemon's
 * gateway, the step STEP names is found in the result's LLB (text of its name, or the start of its digest, as the
 * embedded {@code kiln debug} takes it), solved on its own, and a shell opens in a container on its result with the
 * step's process settings when it ran one.
 *
 * @param frontend the build's frontend, run here
 */
record DebugStep(BuildFunction frontend, String selector, Shell shell) implements BuildFunction {

    /** Opens a shell in {@code target} after telling the user {@code banner}; returns when the user leaves it. */
    @FunctionalInterface
    interface Shell {
        void open(ShellSession.Target target, String banner) throws InterruptedException;
    }

    @Override
    public Result build(Client client) throws Exception {
        Result built = frontend.build(client);
        List<Reference> refs = new ArrayList<>(built.refs().values());
        built.ref().ifPresent(refs::add);
        for (Reference ref : refs) {
            Optional<LlbVertex> step = find(LlbGraph.decode(ref.toState().marshal()));
            if (step.isPresent()) {
                open(client, step.get());
                return Result.empty();
            }
        }
        throw new GatewayException("no step of this build matches \"" + selector + "\"; give text of a step's name "
                + "(as progress shows it) or its digest");
    }

    private Optional<LlbVertex> find(LlbGraph graph) {
        for (LlbVertex vertex : graph.vertices()) {
            if (vertex.digest().toString().startsWith(selector)
                    || vertex.digest().hex().startsWith(selector)
                    || vertex.name().contains(selector)) {
                return Optional.of(vertex);
            }
        }
        return Optional.empty();
    }

    private void open(Client client, LlbVertex vertex) throws InterruptedException {
        Reference result = client.solve(
                        SolveRequest.of(State.fromGraph(new LlbEdge(vertex, 0)).marshal())
                                .withEvaluate(true))
                .ref()
                .orElseThrow(() -> new GatewayException("step " + vertex.name() + " has no result to open"));
        ExecOp exec = StartRequest.settingsOf(vertex);
        try (Container container =
                client.newContainer(NewContainerRequest.of(List.of(Mount.bind("/", result, false))))) {
            shell.open(
                    (args, in, out, err, tty) -> container.start(StartRequest.inStep(exec, args, tty, in, out, err)),
                    "opening a shell in the result of " + vertex.name() + ". Exit the shell to end.");
        }
    }
}
