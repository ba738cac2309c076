package dev.kiln.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.llb.RunOption;
import dev.kiln.llb.State;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class EngineBuildTest {

    @RegisterExtension
    final EngineFixture kiln = EngineFixture.eachTest();

    @Test
    void runStepWritesFileIntoExportedResult() throws Exception {
        State built =
                EngineFixture.base().run(RunOption.sh("echo hello > /greeting")).root();

        Path out = kiln.build(built);

        assertThat(Files.readString(out.resolve("greeting"))).isEqualTo("hello\n");
        assertThat(out.resolve("bin/busybox")).isRegularFile();
    }
}
