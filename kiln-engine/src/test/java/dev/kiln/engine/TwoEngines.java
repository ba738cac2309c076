package dev.kiln.engine;

import dev.kiln.core.Trees;
import dev.kiln.engine.cache.CacheExport;
import dev.kiln.engine.cache.CacheImport;
import dev.kiln.engine.export.ExportTarget;
import dev.kiln.llb.State;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * The base of the cache tests that move a build cache from one state to a fresh one: before each test, engine
 * {@link #a} (which exports the cache) and engine {@link #b} (which imports it) open on state directories of their
 * own under a fresh directory {@link #dir}, where a test also puts its caches and outputs; after it, both close and
 * the directory is deleted.
 */
abstract class TwoEngines {

    Path dir;
    EngineFixture a;
    EngineFixture b;

    @BeforeEach
    void openEngines() throws IOException {
        dir = Files.createTempDirectory("kiln-" + getClass().getSimpleName() + "-");
        a = new EngineFixture(dir.resolve("a"));
        b = new EngineFixture(dir.resolve("b"));
    }

    @AfterEach
    void closeEngines() throws IOException {
        try {
            a.close();
            b.close();
        } finally {
            Trees.deleteRecursively(dir);
        }
    }

    /** Builds {@code state} on {@code kiln} into {@code outputs}, exporting its cache to {@code to} and importing {@code from}. */
    static BuildOutcome build(
            EngineFixture kiln, State state, List<ExportTarget> outputs, List<CacheExport> to, List<CacheImport> from)
            throws Exception {
        kiln.events.clear();
        BuildRequest request = new BuildRequest(new FrontendSpec.Llb(state.marshal()), Map.of(), kiln.locals, outputs)
                .withCache(to, from);
        return kiln.engine.build(request, kiln.events::add);
    }

    static BuildOutcome build(EngineFixture kiln, State state, Path out, List<CacheExport> to, List<CacheImport> from)
            throws Exception {
        return build(kiln, state, List.of(new ExportTarget.LocalDirectory(out)), to, from);
    }

    /** Builds {@code state} on state a, its cache exported to {@code to}, into out-a. */
    Path buildOnATo(State state, CacheExport to) throws Exception {
        Path out = dir.resolve("out-a");
        build(a, state, out, List.of(to), List.of());
        return out;
    }

    /** Builds {@code state} on the fresh state b, its cache imported from {@code from}, into out-b. */
    Path buildOnBFrom(State state, CacheImport from) throws Exception {
        Path out = dir.resolve("out-b");
        build(b, state, out, List.of(), List.of(from));
        return out;
    }
}
