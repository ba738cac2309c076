package dev.kiln.gateway;

import dev.kiln.llb.pb.Platform;
import java.util.List;
import java.util.Map;

/** A worker that can run this build's ops, and the platforms it runs natively. */
public record WorkerInfo(String id, Map<String, String> labels, List<Platform> platforms) {

    public WorkerInfo {
        labels = Map.copyOf(labels);
        platforms = List.copyOf(platforms);
    }
}
