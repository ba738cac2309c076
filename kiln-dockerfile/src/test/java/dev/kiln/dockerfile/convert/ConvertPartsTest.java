package dev.kiln.dockerfile.convert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.core.GoDurations;
import dev.kiln.core.GoPath;
import dev.kiln.core.Platform;
import dev.kiln.dockerfile.instructions.InstructionException;
import org.junit.jupiter.api.Test;

/** The small parsers a conversion relies on, against what Go and BuildKit accept. */
class ConvertPartsTest {

    @Test
    void gitReferencesAreRecognisedOnlyWhereBuildKitRecognisesThem() throws InstructionException {
        assertThat(GitRef.parse("https://github.com/moby/buildkit.git#v0.12:docs"))
                .hasValueSatisfying(g -> {
                    assertThat(g.remote()).isEqualTo("https://github.com/moby/buildkit.git");
                    assertThat(g.ref()).isEqualTo("v0.12");
                    assertThat(g.subDir()).isEqualTo("docs");
                });
        assertThat(GitRef.parse("https://example.com/file.tar.gz")).isEmpty();
        assertThat(GitRef.parse("git@github.com:user/repo.git")).isPresent();
        assertThat(GitRef.parse("ssh://git@host/repo")).isPresent();
        assertThat(GitRef.parse("./local/dir")).isEmpty();
        assertThat(GitRef.parse("https://h/r.git?tag=v1&keep-git-dir=true")).hasValueSatisfying(g -> {
            assertThat(g.ref()).isEqualTo("refs/tags/v1");
            assertThat(g.keepGitDir()).isTrue();
        });
        assertThatThrownBy(() -> GitRef.parse("https://h/r.git?tag=v1&branch=main"))
                .hasMessage("branch conflicts with tag");
        assertThatThrownBy(() -> GitRef.parse("https://h/r.git?colour=blue")).hasMessage("unexpected query \"colour\"");
    }

    @Test
    void lintRulesLinkTheirDocumentationPage() {
        assertThat(LintRule.JSON_ARGS_RECOMMENDED.url())
                .isEqualTo("https://docs.docker.com/go/dockerfile/rule/json-args-recommended/");
        assertThat(LintRule.SECRETS_USED_IN_ARG_OR_ENV.url())
                .isEqualTo("https://docs.docker.com/go/dockerfile/rule/secrets-used-in-arg-or-env/");
        assertThat(LintRule.INVALID_BASE_IMAGE_PLATFORM.url()).isEmpty();
    }

    @Test
    void goDurationsRoundTrip() throws InstructionException {
        assertThat(GoDurations.parseNanos("1m30s")).isEqualTo(90_000_000_000L);
        assertThat(GoDurations.parseNanos("1.5h")).isEqualTo(5_400_000_000_000L);
        assertThat(GoDurations.parseNanos("250ms")).isEqualTo(250_000_000L);
        assertThat(GoDurations.format(90_000_000_000L)).isEqualTo("1m30s");
        assertThat(GoDurations.format(3_600_000_000_000L)).isEqualTo("1h0m0s");
        assertThat(GoDurations.format(1_500_000_000L)).isEqualTo("1.5s");
        assertThat(GoDurations.format(2_000L)).isEqualTo("2µs");
        assertThat(GoDurations.format(0)).isEqualTo("0s");
        assertThatThrownBy(() -> GoDurations.parseNanos("10")).hasMessage("time: missing unit in duration \"10\"");
    }

    @Test
    void platformsAreParsedAndNormalised() {
        Platform defaults = Platform.of("linux", "amd64");
        assertThat(Platforms.parse("linux/aarch64", defaults)).isEqualTo(Platform.of("linux", "arm64"));
        assertThat(Platforms.parse("arm64", defaults)).isEqualTo(Platform.of("linux", "arm64"));
        assertThat(Platforms.parse("linux/arm", defaults)).isEqualTo(Platform.of("linux", "arm", "v7"));
        assertThat(Platforms.parse("windows", defaults).os()).isEqualTo("windows");
        assertThatThrownBy(() -> Platforms.parse("beos/amd64", defaults))
                .hasMessageContaining("unknown operating system");
    }

    @Test
    void aMalformedPlatformIsRefusedWithContainerdsWords() {
        Platform defaults = Platform.of("linux", "amd64");
        // as buildkitd v0.24.0 says them: four parts at most, the last keeping any further slashes
        assertThatThrownBy(() -> Platforms.parse("linux/amd64/v9/x/y", defaults))
                .hasMessage("\"x/y\" is an invalid component of \"linux/amd64/v9/x/y\": platform specifier component "
                        + "must match \"^[A-Za-z0-9_.-]+$\": invalid argument");
        assertThatThrownBy(() -> Platforms.parse("linux/amd64/v9/x", defaults))
                .hasMessage("\"linux/amd64/v9/x\": cannot parse platform specifier: invalid argument");
        assertThatThrownBy(() -> Platforms.parse("li nux/amd64", defaults))
                .hasMessage(
                        "\"li nux\" is an invalid OS component of \"li nux/amd64\": OSAndVersion specifier "
                                + "component must match \"^([A-Za-z0-9_-]+)(?:\\\\(([A-Za-z0-9_.-]*)\\\\))?$\": invalid argument");
    }

    @Test
    void pathsNormaliseLikeGo() {
        assertThat(UnixPaths.normalize("/app", "sub/", true)).isEqualTo("/app/sub/");
        assertThat(UnixPaths.normalize("/app", "./", true)).isEqualTo("/app/");
        assertThat(UnixPaths.normalize("/app", "../etc/x", false)).isEqualTo("/etc/x");
        assertThat(UnixPaths.normalize("/", "/a/b/.", true)).isEqualTo("/a/b/");
        assertThat(GoPath.clean("a/../../b")).isEqualTo("../b");
        assertThat(GoPath.join("/", "", "x/")).isEqualTo("/x");
    }

    @Test
    void stopSignalsByNameOrNumber() throws InstructionException {
        assertThat(Signals.parse("SIGTERM")).isEqualTo(15);
        assertThat(Signals.parse("kill")).isEqualTo(9);
        assertThat(Signals.parse("SIGRTMIN+3")).isEqualTo(37);
        assertThat(Signals.parse("2")).isEqualTo(2);
        assertThatThrownBy(() -> Signals.parse("SIGNOPE")).hasMessage("invalid signal: SIGNOPE");
    }

    @Test
    void chmodIsOctalOrSymbolic() throws InstructionException {
        assertThat(Chmod.parse("0755")).isEqualTo(dev.kiln.llb.CopyOption.mode(0755));
        assertThat(Chmod.parse("u+x,g-w")).isEqualTo(dev.kiln.llb.CopyOption.mode("u+x,g-w"));
        assertThatThrownBy(() -> Chmod.parse("10000")).hasMessageContaining("between 0 and 07777");
        assertThatThrownBy(() -> Chmod.parse("x+u")).hasMessageContaining("invalid chmod parameter");
    }
}
