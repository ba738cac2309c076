package dev.kiln.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.engine.export.ExportTarget;
import dev.kiln.llb.RunOption;
import dev.kiln.llb.State;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SecretMountTest {

    @RegisterExtension
    static final EngineFixture kiln = new EngineFixture();

    private Path build(State state, Map<String, byte[]> secrets, Map<String, Path> ssh) throws Exception {
        Path out = Files.createTempDirectory(kiln.dir, "out-");
        kiln.events.clear();
        kiln.engine.build(
                new BuildRequest(
                        new FrontendSpec.Llb(state.marshal()),
                        Map.of(),
                        kiln.locals,
                        List.of(new ExportTarget.LocalDirectory(out)),
                        secrets,
                        ssh),
                kiln.events::add);
        return out;
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void secretIsReadableDuringTheStepButNeverInTheResultOrTheCacheKey() throws Exception {
        State state = EngineFixture.base()
                .run(
                        RunOption.sh(
                                "test \"$(cat /run/secrets/token)\" = s3cret && stat -c %a /run/secrets/token > /mode"),
                        RunOption.secret("token", "/run/secrets/token"))
                .root();

        Path out = build(state, Map.of("token", utf8("s3cret")), Map.of());

        assertThat(out.resolve("mode")).hasContent("400\n");
        assertThat(out.resolve("run/secrets")).doesNotExist();
        try (var files = Files.walk(out)) {
            assertThat(files.filter(Files::isRegularFile)
                            .filter(f -> !Files.isSymbolicLink(f))
                            .anyMatch(f -> new String(readQuietly(f), StandardCharsets.ISO_8859_1).contains("s3cret")))
                    .isFalse();
        }

        build(state, Map.of("token", utf8("another value")), Map.of());
        assertThat(kiln.executed())
                .as("a new secret value is not a new cache key")
                .isEmpty();
    }

    @Test
    void secretAsEnvironmentVariableReachesTheProcess() throws Exception {
        State state = EngineFixture.base()
                .run(
                        RunOption.sh("test \"$API_KEY\" = k3y && echo seen > /seen"),
                        RunOption.secretEnv("apikey", "API_KEY"))
                .root();

        Path out = build(state, Map.of("apikey", utf8("k3y")), Map.of());

        assertThat(out.resolve("seen")).hasContent("seen\n");
    }

    @Test
    void missingSecretFailsNamingItAndOptionalOneIsSkipped() throws Exception {
        State required = EngineFixture.base()
                .run(RunOption.sh("true"), RunOption.secret("absent", "/run/secrets/absent"))
                .root();
        assertThatThrownBy(() -> build(required, Map.of(), Map.of()))
                .hasMessageContaining("secret \"absent\"")
                .hasMessageContaining("--secret id=absent");

        State optional = EngineFixture.base()
                .run(
                        RunOption.sh("test ! -e /run/secrets/maybe && echo skipped > /r"),
                        RunOption.secret("maybe", "/run/secrets/maybe").asOptional())
                .root();
        assertThat(build(optional, Map.of(), Map.of()).resolve("r")).hasContent("skipped\n");
    }

    @Test
    void sshAgentSocketIsMountedIntoTheStep() throws Exception {
        Path socket = kiln.dir.resolve("agent.sock");
        try (ServerSocketChannel agent = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            agent.bind(UnixDomainSocketAddress.of(socket));
            State state = EngineFixture.base()
                    .run(
                            RunOption.sh("test -S /run/ssh/agent && echo socket > /r"),
                            RunOption.ssh().target("/run/ssh/agent"))
                    .root();

            Path out = build(state, Map.of(), Map.of("default", socket));

            assertThat(out.resolve("r")).hasContent("socket\n");
        }
    }

    private static byte[] readQuietly(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (java.io.IOException e) {
            return new byte[0];
        }
    }
}
