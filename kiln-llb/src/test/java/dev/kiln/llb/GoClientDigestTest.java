package dev.kiln.llb;

import static dev.kiln.llb.GoldenDigestTest.LINUX_AMD64_U1;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.core.Digest;
import dev.kiln.core.Platform;
import dev.kiln.llb.pb.Definition;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Whole definitions compared with BuildKit's Go client: the digests of every entry of
 * {@code Definition.def}, in order, as BuildKit v0.12.5's {@code client/llb} marshals the same
 * graph for linux/amd64 with local unique id "u1" (how they were produced: GOLDEN.md).
 */
class GoClientDigestTest {

    private static List<String> digests(State state) {
        Definition definition = state.marshal(LINUX_AMD64_U1);
        return definition.getDefList().stream()
                .map(bytes -> Digest.sha256(bytes.asReadOnlyByteBuffer()).toString())
                .toList();
    }

    private static List<String> go(String line) {
        return Arrays.stream(line.trim().split(" ")).toList();
    }

    @Test
    void gitSourceMatchesGo() {
        assertThat(digests(State.git("https://github.com/moby/buildkit.git", "v0.11.6", GitOption.keepGitDir())))
                .isEqualTo(go("sha256:46ed35f17e20a9850a297d80be0a49b230e1258b6cb0c9df7f34390865511dd4 "
                        + "sha256:793657a174bf010ab1d05187b884265d84217f1a44be87535fc0b93e4eafd9b2"));
    }

    @Test
    void httpSourceMatchesGo() {
        State http = State.http(
                "https://example.com/a.tgz",
                HttpOption.filename("a.tgz"),
                HttpOption.chmod(0640),
                HttpOption.chown(1, 2));
        assertThat(digests(http))
                .isEqualTo(go("sha256:ffe475bad63dddcb0419f988c11adb13725b589d83dcae56071d89315125ea26 "
                        + "sha256:935fc8c775a30fa479e45e6cc671852d7e49da9fad153ad8b7c836a1ba4cc827"));
    }

    @Test
    void pinnedImageWithItsOwnPlatformMatchesGo() {
        State alpine = State.image(
                "docker.io/library/alpine:3.18@sha256:82d1e9d7ed48a7523bdebc18cf6290bdb97b82302a8a9c27d4fe885949ea94d1",
                OpOption.platform(Platform.of("linux", "arm64")));
        assertThat(digests(alpine))
                .isEqualTo(go("sha256:dbbebd821e4d87b623712bc0939c16192d42d388174e348c80cfaf4cacd72fa7 "
                        + "sha256:f9b8b1af5317d25a021cac6e14a44aa5341acd2554c4d849acb28b8b83b54099"));
    }

    @Test
    void execWithEveryKindOfBindMountMatchesGo() {
        ExecState build = State.image("busybox")
                .user("nobody")
                .hostname("box")
                .extraHost("db", "10.0.0.2")
                .network(NetMode.NONE)
                .security(SecurityMode.INSECURE)
                .run(
                        RunOption.shlex("make -j2 'all targets'"),
                        RunOption.mount(
                                "/src",
                                Mount.bind(State.local("ctx")).asReadonly().withSelector("/sub")),
                        RunOption.mount("/cache", Mount.cache("go", CacheSharing.LOCKED)),
                        RunOption.mount("/tmp", Mount.tmpfs(1 << 20)),
                        RunOption.mount("/out", Mount.bind(State.scratch())),
                        OpOption.customName("build it"));

        // v0.12.5 lists an exec's inputs in mount insertion order; BuildKit today sorts them by
        // destination first, as Kiln does, so only the order of the two sources differs.
        assertThat(digests(build.root()))
                .containsExactlyInAnyOrderElementsOf(
                        go("sha256:514bb9b9def6bccfd3522f0b5d30848f64fd05f466c4d80d23c525888b85ea53 "
                                + "sha256:08a03f3ffe5fba421a6403c31e153425ced631d108868f30e04985f99d69326e "
                                + "sha256:33cce3629f73f7d229c0e87e09ead7fe39e576cc44c1d9669516d9405bcddd62 "
                                + "sha256:4e3f9822e43f03690ca99ebb08da55316b5df936b6f1cb53c02ab9b7c8b61865"));
        assertThat(digests(build.mount("/out")))
                .isEqualTo(go("sha256:08a03f3ffe5fba421a6403c31e153425ced631d108868f30e04985f99d69326e "
                        + "sha256:514bb9b9def6bccfd3522f0b5d30848f64fd05f466c4d80d23c525888b85ea53 "
                        + "sha256:33cce3629f73f7d229c0e87e09ead7fe39e576cc44c1d9669516d9405bcddd62 "
                        + "sha256:38297741c0666b1de243636c9edee93322d8db5b99e1bd08b99acdbf40a00a3d"));
    }

    @Test
    void chainedFileActionsMatchGo() {
        State chain = State.image("busybox")
                .dir("/app")
                .file(FileAction.mkdir("data", 0700, MkdirOption.makeParents())
                        .mkfile("data/f", 0600, "hello".getBytes(StandardCharsets.UTF_8))
                        .rm("old", RmOption.allowNotFound())
                        .copy(
                                State.local("ctx"),
                                "*.go",
                                "src/",
                                CopyOption.allowWildcard(),
                                CopyOption.followSymlinks(),
                                CopyOption.include("a"),
                                CopyOption.exclude("b")));

        assertThat(digests(chain))
                .isEqualTo(go("sha256:08a03f3ffe5fba421a6403c31e153425ced631d108868f30e04985f99d69326e "
                        + "sha256:514bb9b9def6bccfd3522f0b5d30848f64fd05f466c4d80d23c525888b85ea53 "
                        + "sha256:3fa5fb317e9f85f95e9416684fbc5e1849bd1357c3e9e518ec7837812014ab59 "
                        + "sha256:f9d021161f81372ae27406360deef46865f1a066c862ca38bb6b6c7d9239f003"));
    }
}
