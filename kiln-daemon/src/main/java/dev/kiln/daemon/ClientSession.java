package dev.kiln.daemon;

import dev.kiln.api.session.SessionTunnel;
import io.grpc.ManagedChannel;
import java.util.Set;

/**
 * One client's session: the gRPC connection to the services the client runs at its end (its directories, secrets,
 * registry credentials, export targets), carried by its Control.Session stream.
 *
 * @param id        the session id the client's Solve requests name
 * @param name      what the client calls itself (buildctl sends its working directory's name)
 * @param sharedKey names the client's directories across sessions, so a later transfer of them is incremental
 * @param methods   the methods the client serves, as {@code /service/method}
 */
record ClientSession(String id, String name, String sharedKey, Set<String> methods, SessionTunnel tunnel) {

    ClientSession {
        methods = Set.copyOf(methods);
    }

    ManagedChannel channel() {
        return tunnel.channel();
    }

    /** Whether the client serves {@code method} ({@code /service/method}); the check is case-insensitive, as gRPC
     *  clients differ in how they spell method names in the session header. */
    boolean serves(String method) {
        return methods.stream().anyMatch(m -> m.equalsIgnoreCase(method));
    }
}
