package dev.kiln.maven;

import dev.kiln.gateway.BuildFunction;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * One goal's build, as either engine runs it: what makes the image, the frontend's options, the local directories it
 * reads by name and where the image goes.
 */
record GoalBuild(
        Frontend frontend, Map<String, String> frontendAttrs, Map<String, Path> locals, List<ImageOutput> outputs) {

    GoalBuild {
        frontendAttrs = Map.copyOf(frontendAttrs);
        locals = Map.copyOf(locals);
        outputs = List.copyOf(outputs);
    }

    /** What makes the image: the plugin's own build function, or a frontend the engine has by name. */
    sealed interface Frontend {

        /** Runs in Maven's JVM: on the embedded engine directly, on a daemon over its gateway (a forwarded build). */
        record Function(String name, BuildFunction function) implements Frontend {}

        /** A frontend of the engine's, such as {@code dockerfile.v0}. */
        record Named(String name) implements Frontend {}
    }
}
