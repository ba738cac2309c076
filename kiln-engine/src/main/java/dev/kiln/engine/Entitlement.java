package dev.kiln.engine;

import dev.kiln.llb.LlbGraph;
import dev.kiln.llb.LlbVertex;
import dev.kiln.llb.OpKind;
import dev.kiln.llb.pb.ExecOp;
import dev.kiln.llb.pb.NetMode;
import dev.kiln.llb.pb.SecurityMode;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A privilege a build must be granted before its steps may use it, by BuildKit's names: a RUN step
 * in the host's network namespace ({@code network.host}) or with all capabilities
 * ({@code security.insecure}). Steps that leave the network unset run in the engine's default
 * network and need nothing.
 */
public enum Entitlement {
    NETWORK_HOST("network.host"),
    SECURITY_INSECURE("security.insecure");

    private final String key;

    Entitlement(String key) {
        this.key = key;
    }

    public String key() {
        return key;
    }

    /** The entitlement named {@code key}, as {@code --allow} takes it. */
    public static Optional<Entitlement> parse(String key) {
        return Arrays.stream(values()).filter(e -> e.key.equals(key)).findFirst();
    }

    public static String names() {
        return Arrays.stream(values()).map(Entitlement::key).collect(Collectors.joining(", "));
    }

    /**
     * Checks every step of {@code graph} against what the build was granted, before any step runs,
     * so that a cached step is refused as surely as a new one.
     *
     * @throws EntitlementException naming the step and the entitlement it lacks
     */
    public static void check(LlbGraph graph, Set<Entitlement> granted) {
        for (LlbVertex vertex : graph.vertices()) {
            if (vertex.kind() != OpKind.EXEC) {
                continue;
            }
            ExecOp exec = vertex.op().getExec();
            if (exec.getNetwork() == NetMode.HOST && !granted.contains(NETWORK_HOST)) {
                throw new EntitlementException(NETWORK_HOST, vertex.name());
            }
            if (exec.getSecurity() == SecurityMode.INSECURE && !granted.contains(SECURITY_INSECURE)) {
                throw new EntitlementException(SECURITY_INSECURE, vertex.name());
            }
        }
    }

    /** A step asked for an entitlement the build was not given. */
    public static final class EntitlementException extends dev.kiln.gateway.GatewayException {
        EntitlementException(Entitlement missing, String step) {
            super(missing.key + " is not allowed: step \"" + step + "\" needs it; grant it with --allow "
                    + missing.key);
        }
    }
}
