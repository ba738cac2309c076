package dev.kiln.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.llb.RunOption;
import dev.kiln.llb.State;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EngineBuildTest {

    @TempDir
    Path tmp;

    EngineFixture kiln;

    @BeforeEach
    void open() throws Exception {
        kiln = new EngineFixture(tmp);
    }

    @AfterEach
    void close() throws Exception {
        kiln.close();
    }

    @Test
    void runStepWritesFileIntoExportedResult() throws Exception {
        State built =
                EngineFixture.base().run(RunOption.sh("echo hello > /greeting")).root();

        Path out = kiln.build(built);

        assertThat(Files.readString(out.resolve("greeting"))).isEqualTo("hello\n");
        assertThat(out.resolve("bin/busybox")).isRegularFile();
    }
}
