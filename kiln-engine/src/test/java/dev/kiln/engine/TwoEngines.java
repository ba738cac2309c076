package dev.kiln.engine;

import dev.kiln.core.Trees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
}
