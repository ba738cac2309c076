package dev.kiln.dockerfile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.core.Platform;
import dev.kiln.gateway.BuildOpts;
import dev.kiln.gateway.CacheOptionsEntry;
import dev.kiln.gateway.WorkerInfo;
import dev.kiln.llb.NetMode;
import dev.kiln.llb.RunOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The frontend options by BuildKit's names, as buildctl --opt and docker build pass them. */
class FrontendOptionsTest {

    private static FrontendOptions of(Map<String, String> opts) {
        WorkerInfo worker = new WorkerInfo(
                "w",
                Map.of(),
                List.of(dev.kiln.llb.pb.Platform.newBuilder()
                        .setOS("linux")
                        .setArchitecture("arm64")
                        .build()));
        return FrontendOptions.of(new BuildOpts(opts, "session-1", List.of(worker), "kiln", Set.of(), Set.of()));
    }

    /** Options written as buildctl's {@code --opt key=value} arguments (the key ends at the first '='). */
    private static FrontendOptions opts(String... keyValues) {
        Map<String, String> opts = new HashMap<>();
        for (String keyValue : keyValues) {
            int eq = keyValue.indexOf('=');
            assertThat(opts.put(keyValue.substring(0, eq), keyValue.substring(eq + 1)))
                    .isNull();
        }
        return of(opts);
    }

    @Test
    void readsBuildArgsLabelsTargetAndPlatforms() {
        FrontendOptions options = opts(
                "build-arg:VERSION=1.0",
                "label:team=build",
                "target=test",
                "platform=linux/amd64,linux/arm/v7",
                "filename=ci.Dockerfile",
                "no-cache=a,b");
        assertThat(options.convert().buildArgs()).containsExactly(Map.entry("VERSION", "1.0"));
        assertThat(options.convert().labels()).containsExactly(Map.entry("team", "build"));
        assertThat(options.convert().target()).isEqualTo("test");
        assertThat(options.targetPlatforms())
                .containsExactly(Platform.of("linux", "amd64"), Platform.of("linux", "arm", "v7"));
        assertThat(options.convert().multiPlatform()).isTrue();
        assertThat(options.convert().buildPlatforms()).containsExactly(Platform.of("linux", "arm64"));
        assertThat(options.filename()).isEqualTo("ci.Dockerfile");
        assertThat(options.convert().noCache()).containsExactlyInAnyOrder("a", "b");
        assertThat(options.session("context")).isEqualTo("session-1");
    }

    @Test
    void readsRunSettings() {
        FrontendOptions options = opts(
                "force-network-mode=host",
                "add-hosts=db=10.0.0.2,cache=::1",
                "ulimit=nofile=1024:2048",
                "shm-size=1048576",
                "hostname=box",
                "local-sessionid:context=s2");
        assertThat(options.convert().forceNetwork()).isEqualTo(NetMode.HOST);
        assertThat(options.convert().extraHosts())
                .containsExactly(new RunOption.ExtraHost("db", "10.0.0.2"), new RunOption.ExtraHost("cache", "::1"));
        assertThat(options.convert().ulimits()).containsExactly(new RunOption.Ulimit("nofile", 1024, 2048));
        assertThat(options.convert().shmSize()).isEqualTo(1048576);
        assertThat(options.convert().hostname()).isEqualTo("box");
        assertThat(options.session("context")).isEqualTo("s2");
    }

    @Test
    void readsCacheImports() {
        FrontendOptions options = opts(
                "cache-from=registry.example/app:cache",
                "cache-imports=[{\"Type\":\"local\",\"Attrs\":{\"src\":\"/var/cache/kiln\"}}]");
        assertThat(DockerfileFrontend.cacheImports(options))
                .containsExactly(
                        new CacheOptionsEntry("local", Map.of("src", "/var/cache/kiln")),
                        new CacheOptionsEntry("registry", Map.of("ref", "registry.example/app:cache")));
    }

    @Test
    void badOptionsNameTheOption() {
        assertThatThrownBy(() -> of(Map.of("force-network-mode", "bridge"))).hasMessage("invalid netmode bridge");
        assertThatThrownBy(() -> of(Map.of("image-resolve-mode", "sometimes")))
                .hasMessage("invalid image-resolve-mode: sometimes");
        assertThatThrownBy(() -> of(Map.of("platform", "linux/amd64,beos")))
                .hasMessageStartingWith("failed to parse target platform beos");
        assertThatThrownBy(() -> of(Map.of("add-hosts", "db=not-an-ip")))
                .hasMessage("failed to parse additional hosts: failed to parse IP not-an-ip");
        assertThatThrownBy(() -> of(Map.of("ulimit", "nofile=10:5")))
                .hasMessageContaining("soft limit must be less than or equal to hard limit");
        assertThatThrownBy(() -> of(Map.of("platform", "linux/amd64,linux/arm64", "multi-platform", "false")))
                .hasMessage("conflicting config: returning multiple target platforms is not allowed");
    }
}
