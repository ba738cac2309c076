package dev.kiln.dockerfile.convert;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.kiln.core.Platform;
import dev.kiln.dockerfile.DockerfileException;
import dev.kiln.dockerfile.parser.DockerfileParser;
import dev.kiln.dockerfile.parser.ParsedDockerfile;
import dev.kiln.llb.LlbGraph;
import dev.kiln.llb.MarshalOptions;
import dev.kiln.llb.SourceMap;
import dev.kiln.llb.State;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * Any bytes as a Dockerfile: parsing and converting to LLB either give a definition the solver accepts or stop
 * with a {@link DockerfileException} naming the line; nothing else may escape. Nothing runs: images resolve to one
 * fixed config, the context is a local source. Seeds: the Dockerfiles of the build corpus (corpus/NAME/Dockerfile).
 */
class DockerfileFuzzTest {

    private static final Platform AMD64 = Platform.of("linux", "amd64");
    private static final byte[] CONFIG = """
            {"architecture":"amd64","os":"linux",
             "config":{"Env":["PATH=/usr/local/bin:/usr/bin:/bin"],"User":"app","WorkingDir":"/home/app",
                       "Cmd":["/bin/sh"],"OnBuild":["RUN echo onbuild"],"Labels":{"from":"base"}},
             "rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created_by":"base"}]}
            """.formatted("cd".repeat(32)).getBytes(StandardCharsets.UTF_8);

    /** Every image is the same small image; named contexts are not given; the context is local. */
    private static final class OfflineSources implements ConvertSources {
        @Override
        public Optional<NamedContext> namedContext(String name, Platform platform) {
            return Optional.empty();
        }

        @Override
        public ResolvedImage resolveImageConfig(String reference, Platform platform, String logName) {
            return new ResolvedImage(reference, "sha256:" + "ab".repeat(32), CONFIG);
        }

        @Override
        public State mainContext(List<String> followPaths) {
            return State.local("context");
        }
    }

    @FuzzTest
    void parseAndConvert(byte[] data) throws InterruptedException {
        DockerfileConverter.Result result;
        try {
            ParsedDockerfile parsed = DockerfileParser.parse("Dockerfile", data);
            result = DockerfileConverter.convert(
                    parsed,
                    ConvertOptions.forPlatform(AMD64),
                    new OfflineSources(),
                    new SourceMap("Dockerfile", "Dockerfile", data),
                    "");
        } catch (DockerfileException e) {
            return;
        }
        // What the frontend hands to the solver must be a definition the solver can decode.
        LlbGraph.decode(result.state().marshal(MarshalOptions.defaults().withDefaultPlatform(result.platform())));
        result.image().toDockerOciImageJson();
    }
}
