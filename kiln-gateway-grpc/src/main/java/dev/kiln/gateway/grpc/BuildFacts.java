package dev.kiln.gateway.grpc;

import dev.kiln.gateway.WorkerInfo;
import java.util.List;
import java.util.Map;

/**
 * What a frontend knows of its build before it asks the engine anything: its options, the client's session, the
 * workers and the product name. A frontend container reads them from its environment ({@link StdioFrontend}); a
 * forwarded frontend has them from its own client ({@link ForwardedFrontend}). The capabilities come from Ping.
 *
 * @param workers empty to take the workers the engine lists in its Pong
 */
public record BuildFacts(Map<String, String> opts, String sessionId, String product, List<WorkerInfo> workers) {

    public BuildFacts {
        opts = Map.copyOf(opts);
        sessionId = sessionId == null ? "" : sessionId;
        product = product == null ? "" : product;
        workers = List.copyOf(workers);
    }
}
