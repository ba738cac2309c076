package dev.kiln.cli;

import dev.kiln.api.control.PruneRequest;
import dev.kiln.api.control.UsageRecord;
import dev.kiln.daemon.DiskUsageService;
import dev.kiln.engine.DiskUsageQuery;
import dev.kiln.engine.Engine;
import dev.kiln.engine.EngineOptions;
import dev.kiln.engine.Frontends;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * {@code kiln du --no-daemon} and {@code kiln prune --no-daemon}: the engine opened in this process on the state,
 * its records translated as the daemon translates them, so that both ways print the same. Its own class, so that
 * the daemon's client never loads the engine.
 */
final class EmbeddedDiskUsage {

    private EmbeddedDiskUsage() {}

    private static Engine open(Path state, PrintStream err) throws IOException {
        EngineOptions options = EngineOptions.defaults();
        if (state != null) {
            options = options.withStateDir(state);
        }
        return Engine.open(
                options,
                Frontends.discover(EmbeddedDiskUsage.class.getClassLoader()),
                notice -> err.println("kiln: " + notice));
    }

    static List<UsageRecord> diskUsage(Path state, List<String> filters, PrintStream err) throws IOException {
        try (Engine engine = open(state, err)) {
            return engine.diskUsage(DiskUsageQuery.filtered(filters.toArray(String[]::new))).stream()
                    .map(DiskUsageService::wire)
                    .toList();
        }
    }

    static void prune(Path state, PruneRequest request, Consumer<UsageRecord> onRemoved, PrintStream err)
            throws IOException {
        try (Engine engine = open(state, err)) {
            engine.prune(
                    DiskUsageService.options(request), removed -> onRemoved.accept(DiskUsageService.wire(removed)));
        }
    }
}
