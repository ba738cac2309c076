package dev.kiln.engine;

import static dev.kiln.engine.ExportedFiles.bytes;
import static dev.kiln.engine.ExportedFiles.listing;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.gateway.ReadRequest;
import dev.kiln.gateway.Reference;
import dev.kiln.gateway.Result;
import dev.kiln.gateway.SolveRequest;
import dev.kiln.llb.FileAction;
import dev.kiln.llb.LlbGraph;
import dev.kiln.llb.State;
import dev.kiln.llb.pb.Definition;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Graphs far deeper than a thread's stack (Kiln issue 9): a chain of ten thousand steps builds, which it only does
 * when no walk over the graph, from the definition to the exported files, recurses once per step.
 *
 * <p>Each step copies the file of the step before into an empty filesystem. Their cache keys follow the copied
 * content, so the first copy runs and the other steps find its result: every vertex is decoded, adapted, keyed and
 * evaluated on its input's result, yet the test takes seconds. (Ten thousand steps that each add a layer take the
 * worker minutes, for reasons that have nothing to do with the graph's depth.)
 */
class DeepGraphTest {

    private static final int STEPS = 10_000;

    @RegisterExtension
    static final EngineFixture kiln = new EngineFixture();

    /** A file written once, then {@code steps} file ops each copying it from the result of the one before. */
    private static State chain(int steps) {
        State state = State.scratch().file(FileAction.mkfile("/f", 0644, bytes("written once\n")));
        for (int i = 0; i < steps; i++) {
            state = State.scratch().file(FileAction.copy(state, "/f", "/f"));
        }
        return state;
    }

    @Test
    void chainOfTenThousandFileStepsBuildsAndExports() throws Exception {
        Path out = kiln.build(chain(STEPS));

        assertThat(listing(out)).containsExactly("f");
        assertThat(Files.readString(out.resolve("f"))).isEqualTo("written once\n");
        assertThat(kiln.executed().size() + kiln.cached().size()).isEqualTo(STEPS + 1);
    }

    @Test
    void frontendBuildsOnTheStateOfATenThousandStepReference() throws Exception {
        AtomicReference<String> seen = new AtomicReference<>();
        kiln.run(new FrontendSpec.Function("deep", client -> {
            Reference deep =
                    client.solve(SolveRequest.of(chain(STEPS).marshal())).ref().orElseThrow();
            State top = deep.toState().file(FileAction.mkfile("/top", 0644, bytes("on top\n")));
            Result result = client.solve(SolveRequest.of(top.marshal()));
            Reference ref = result.ref().orElseThrow();
            seen.set(text(ref.readFile(ReadRequest.of("/top"))) + text(ref.readFile(ReadRequest.of("/f"))));
            return result;
        }));

        assertThat(seen.get()).isEqualTo("on top\nwritten once\n");
    }

    @Test
    void debugOpensTheTopStepOfATenThousandStepBuild() throws Exception {
        Definition definition = chain(STEPS).marshal();
        String top = LlbGraph.decode(definition)
                .output()
                .orElseThrow()
                .vertex()
                .digest()
                .hex();

        try (DebugShell shell = kiln.engine.debug(
                new BuildRequest(new FrontendSpec.Llb(definition), Map.of(), kiln.locals, List.of()),
                top,
                event -> {})) {
            assertThat(shell.step()).isEqualTo("copy /f /f");
        }
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
