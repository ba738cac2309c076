package dev.kiln.llb;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class DigestStabilityTest {

    @Test
    void anotherJvmMarshalsTheSameGraphToTheSameDigests() throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElseThrow();
        // Surefire runs tests from a manifest-only jar; it publishes the real class path separately.
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Process other = new ProcessBuilder(java, "-cp", classPath, DigestPrinter.class.getName())
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        String printed = new String(other.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

        assertThat(other.waitFor()).isZero();
        assertThat(printed).isEqualTo(DigestPrinter.digests());
        assertThat(printed.lines()).hasSizeGreaterThan(8).allMatch(line -> line.startsWith("sha256:"));
    }

    @Test
    void marshallingTwiceGivesIdenticalDefinitions() {
        State graph = LlbGraphTest.everyKind();

        assertThat(graph.marshal(GoldenDigestTest.LINUX_AMD64_U1))
                .isEqualTo(graph.marshal(GoldenDigestTest.LINUX_AMD64_U1));
        assertThat(LlbGraphTest.everyKind()
                        .marshal(GoldenDigestTest.LINUX_AMD64_U1)
                        .toByteString())
                .isEqualTo(graph.marshal(GoldenDigestTest.LINUX_AMD64_U1).toByteString());
    }
}
