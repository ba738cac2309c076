package dev.kiln.engine.gateway;

import dev.kiln.gateway.GatewayException;
import dev.kiln.gateway.ReadDirRequest;
import dev.kiln.gateway.ReadRequest;
import dev.kiln.gateway.Reference;
import dev.kiln.gateway.Stat;
import dev.kiln.gateway.StatRequest;
import dev.kiln.llb.LlbEdge;
import dev.kiln.llb.LlbGraph;
import dev.kiln.llb.State;
import dev.kiln.solver.Edge;
import dev.kiln.solver.SolveException;
import dev.kiln.solver.SolveResult;
import dev.kiln.worker.ReadOnlyView;
import java.io.IOException;
import java.util.List;

/**
 * A reference to one output of a solved graph. It is lazy: the graph is solved the first time
 * something needs its files, once, and the outcome kept for every later call.
 */
public final class SolvedReference implements Reference {

    private final BuildContext build;
    private final LlbGraph graph;
    private final LlbEdge output;
    private final Edge edge;
    private SolveResult solved;

    /** A reference to one output of a graph this build solved (or could solve). */
    public static SolvedReference of(BuildContext build, LlbGraph graph, LlbEdge output) {
        return new SolvedReference(build, graph, output);
    }

    SolvedReference(BuildContext build, LlbGraph graph, LlbEdge output) {
        this.build = build;
        this.graph = graph;
        this.output = output;
        this.edge = new LlbVertices(build.worker(), build.session(), build.earlyLayers()).edge(output);
    }

    /** The graph this reference is an output of: what a provenance records of it. */
    public LlbGraph graph() {
        return graph;
    }

    /** Which output of {@link #graph()} this reference is. */
    public LlbEdge output() {
        return output;
    }

    @Override
    public State toState() {
        return State.fromGraph(output);
    }

    @Override
    public void evaluate() throws InterruptedException {
        solved();
    }

    /** The solver's result for this reference, solving the graph on first use. */
    public synchronized SolveResult solved() throws InterruptedException {
        if (solved == null) {
            try {
                solved = build.solver().solve(edge, build.progress(), build.cache());
            } catch (SolveException e) {
                if (e.cancelled()) {
                    throw (InterruptedException) new InterruptedException("build cancelled").initCause(e);
                }
                throw SolveErrors.of(build, e, sourceGraphs());
            }
        }
        return solved;
    }

    /** This reference's graph first, then every other the build solved: the failed vertex may be in any. */
    private List<LlbGraph> sourceGraphs() {
        List<LlbGraph> graphs = new java.util.ArrayList<>(List.of(graph));
        graphs.addAll(build.graphs());
        return graphs;
    }

    @Override
    public byte[] readFile(ReadRequest request) throws InterruptedException {
        return ReferenceFiles.readFile(this::read, request, "");
    }

    @Override
    public Stat statFile(StatRequest request) throws InterruptedException {
        return ReferenceFiles.statFile(this::read, request, "");
    }

    @Override
    public List<Stat> readDir(ReadDirRequest request) throws InterruptedException {
        return ReferenceFiles.readDir(this::read, request, "");
    }

    /** Opens the solved files for reading; the caller closes the view. */
    public ReadOnlyView open() throws InterruptedException {
        return view(false);
    }

    /** The solved files for the gateway's few reads ({@link dev.kiln.worker.Worker#read}); the caller closes it. */
    private ReadOnlyView read() throws InterruptedException {
        return view(true);
    }

    private ReadOnlyView view(boolean readsOnly) throws InterruptedException {
        SolveResult result = solved();
        try {
            return readsOnly
                    ? build.worker().read(result.result())
                    : build.worker().open(result.result());
        } catch (IOException e) {
            throw new GatewayException("open result of " + output.vertex().name() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "ref(" + output + ")";
    }
}
