package dev.kiln.solver;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Checks the graph reachable from the targets and puts its distinct vertices (by digest) in dependency order, inputs
 * before their dependants. Iterative, so a deep chain of steps cannot overflow the caller's stack.
 */
final class GraphOrder {

    private GraphOrder() {}

    static List<Vertex> of(List<Edge> targets) throws SolveException {
        var ordered = new ArrayList<Vertex>();
        var done = new HashMap<String, Vertex>();
        var onPath = new HashSet<String>();
        var path = new ArrayDeque<Visit>();
        for (int t = 0; t < targets.size(); t++) {
            Edge target = targets.get(t);
            if (target == null) {
                throw SolveException.malformedGraph("solve target " + t + " is null");
            }
            visit(target.vertex(), "solve target " + t, ordered, done, onPath, path);
        }
        return ordered;
    }

    /** A vertex on the current path, and how far through its inputs the walk is. */
    private static final class Visit {
        final Vertex vertex;
        final String digest;
        final Iterator<Edge> inputs;
        int nextInput;

        Visit(Vertex vertex, String digest) {
            this.vertex = vertex;
            this.digest = digest;
            this.inputs = vertex.inputs().iterator();
        }
    }

    private static void visit(
            Vertex root,
            String place,
            List<Vertex> ordered,
            Map<String, Vertex> done,
            Set<String> onPath,
            Deque<Visit> path)
            throws SolveException {
        String rootDigest = checked(root, place);
        if (done.containsKey(rootDigest)) {
            return;
        }
        enter(root, rootDigest, onPath, path);
        while (!path.isEmpty()) {
            Visit current = path.peek();
            if (!current.inputs.hasNext()) {
                path.pop();
                onPath.remove(current.digest);
                done.put(current.digest, current.vertex);
                ordered.add(current.vertex);
                continue;
            }
            int index = current.nextInput++;
            Edge edge = current.inputs.next();
            String where = "input " + index + " of vertex \"" + current.vertex.name() + "\" (" + current.digest + ")";
            if (edge == null) {
                throw SolveException.malformedGraph(where + " is null");
            }
            String digest = checked(edge.vertex(), where);
            if (onPath.contains(digest)) {
                throw SolveException.malformedGraph("the graph has a cycle: " + cycle(path, digest, edge.vertex()));
            }
            if (!done.containsKey(digest)) {
                enter(edge.vertex(), digest, onPath, path);
            }
        }
    }

    private static void enter(Vertex vertex, String digest, Set<String> onPath, Deque<Visit> path) {
        onPath.add(digest);
        path.push(new Visit(vertex, digest));
    }

    /** The vertex's digest, after checking that it has everything the solver reads from it. */
    private static String checked(Vertex vertex, String place) throws SolveException {
        if (vertex == null) {
            throw SolveException.malformedGraph(place + " has no vertex");
        }
        String digest = vertex.digest();
        String name = vertex.name();
        if (digest == null || digest.isBlank()) {
            throw SolveException.malformedGraph("vertex \"" + name + "\" at " + place + " has no digest");
        }
        String named = "vertex \"" + name + "\" (" + digest + ")";
        if (name == null) {
            throw SolveException.malformedGraph(named + " at " + place + " has no name");
        }
        if (vertex.inputs() == null) {
            throw SolveException.malformedGraph(named + " has no input list");
        }
        if (vertex.operation() == null) {
            throw SolveException.malformedGraph(named + " has no operation");
        }
        return digest;
    }

    private static String cycle(Deque<Visit> path, String closingDigest, Vertex closing) {
        var names = new ArrayList<String>();
        for (Iterator<Visit> it = path.descendingIterator(); it.hasNext(); ) {
            Visit visit = it.next();
            if (visit.digest.equals(closingDigest) || !names.isEmpty()) {
                names.add("\"" + visit.vertex.name() + "\"");
            }
        }
        names.add("\"" + closing.name() + "\" (" + closingDigest + ")");
        return names.stream().collect(Collectors.joining(" -> "));
    }
}
