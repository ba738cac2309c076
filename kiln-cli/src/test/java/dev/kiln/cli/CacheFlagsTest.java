package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.api.DaemonEndpoint;
import dev.kiln.core.Digest;
import dev.kiln.core.ImageReference;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.ImageIndex;
import dev.kiln.oci.ImageManifest;
import dev.kiln.oci.registry.FetchedManifest;
import dev.kiln.oci.registry.RegistryClient;
import dev.kiln.oci.testing.LocalRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code kiln build --cache-to/--cache-from} (docker's form) and {@code --export-cache/--import-cache} (buildctl's),
 * embedded and through the daemon: a two-stage Dockerfile whose first stage writes random bytes is built on state A
 * with its cache exported, then on a fresh state B with that cache imported. Real busybox containers throughout.
 */
class CacheFlagsTest extends WithBusyboxContext {

    @RegisterExtension
    static final LocalRegistry registry = LocalRegistry.anonymous();

    static final String TWO_STAGES = """
            FROM busybox AS random
            RUN head -c 32 /dev/urandom | od -x > /rand
            FROM busybox
            COPY --from=random /rand /rand
            """;

    final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    final List<Path> daemonStates = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        Files.writeString(context.resolve("Dockerfile"), TWO_STAGES);
    }

    @AfterEach
    void stopDaemons() throws Exception {
        for (Path state : daemonStates) {
            Optional<DaemonEndpoint> daemon = DaemonEndpoint.running(state);
            if (daemon.isPresent()) {
                ProcessHandle process = ProcessHandle.of(daemon.get().pid()).orElseThrow();
                process.destroy();
                process.onExit().get(30, TimeUnit.SECONDS);
            }
        }
    }

    private List<String> args(String state, Path out, String... more) {
        List<String> all = new ArrayList<>(List.of(
                "--state",
                tmp.resolve(state).toString(),
                "--build-context",
                "busybox=" + rootfs,
                "--progress",
                "plain",
                "--output",
                "type=local,dest=" + out));
        all.addAll(List.of(more));
        all.add(context.toString());
        return all;
    }

    private int embedded(String state, Path out, String... more) throws Exception {
        stderr.reset();
        List<String> all = new ArrayList<>(List.of("--no-daemon"));
        all.addAll(args(state, out, more));
        return new BuildCommand(
                        new PrintStream(new ByteArrayOutputStream()),
                        new PrintStream(stderr, true),
                        InputStream.nullInputStream())
                .run(all);
    }

    private int daemon(String state, Path out, String... more) throws Exception {
        return daemon(!"0".equals(System.getenv("KILN_DIRECT")), state, out, more);
    }

    /** A build through the daemon of {@code state}; without {@code direct} access everything goes through a session. */
    private int daemon(boolean direct, String state, Path out, String... more) throws Exception {
        stderr.reset();
        daemonStates.add(tmp.resolve(state));
        return new DaemonBuild(
                        new PrintStream(new ByteArrayOutputStream()),
                        new PrintStream(stderr, true),
                        InputStream.nullInputStream(),
                        direct)
                .run(Invocation.parse(args(state, out, more)));
    }

    private String err() {
        return stderr.toString(StandardCharsets.UTF_8);
    }

    /** The RUN's progress: its name, perhaps log lines (what the cache import unpacked), then CACHED. */
    private static final String RUN_CACHED =
            "(?m)^#(\\d+) \\[random \\d/\\d\\] RUN head -c 32 /dev/urandom \\| od -x > /rand\\n(?:#\\1 .*\\n)*#\\1 CACHED$";

    private void succeeds(int exitCode) {
        assertThat(exitCode).as(err()).isZero();
    }

    /**
     * The second build (into out-b) took the RUN from the first's cache: its progress shows the step ({@code step}, a
     * pattern) CACHED, and its random bytes are the first build's (out-a).
     */
    private void assertRunCached(String step) throws IOException {
        assertThat(err()).containsPattern(step);
        assertThat(Files.readAllBytes(tmp.resolve("out-b/rand")))
                .isEqualTo(Files.readAllBytes(tmp.resolve("out-a/rand")));
    }

    /** The second build (into out-b) ran the RUN again: no CACHED for it, and random bytes of its own. */
    private void assertRunRanAgain() throws IOException {
        assertThat(err()).doesNotContainPattern(RUN_CACHED).contains("RUN head -c 32 /dev/urandom");
        assertThat(Files.readAllBytes(tmp.resolve("out-b/rand")))
                .isNotEqualTo(Files.readAllBytes(tmp.resolve("out-a/rand")));
    }

    @Test
    void cacheToModeMaxOnOneStateMakesTheRunACacheHitOnAFreshState() throws Exception {
        Path cache = tmp.resolve("cache");
        succeeds(embedded("a", tmp.resolve("out-a"), "--cache-to", "type=local,dest=" + cache + ",mode=max"));
        assertThat(err()).contains("exporting cache to client directory");
        assertThat(cache.resolve("index.json")).isRegularFile();

        succeeds(embedded("b", tmp.resolve("out-b"), "--cache-from", "type=local,src=" + cache));
        assertRunCached(RUN_CACHED);
    }

    @Test
    void exportCacheModeMinLeavesOutTheStageTheImageDoesNotContain() throws Exception {
        Path cache = tmp.resolve("cache-min");
        succeeds(embedded("a", tmp.resolve("out-a"), "--export-cache", "type=local,dest=" + cache));

        succeeds(embedded("b", tmp.resolve("out-b"), "--import-cache", "type=local,src=" + cache));
        assertRunRanAgain();
    }

    @Test
    void throughTheDaemonTheCacheTravelsToAFreshState() throws Exception {
        Path cache = tmp.resolve("cache-daemon");
        succeeds(daemon("da", tmp.resolve("out-a"), "--cache-to", "type=local,dest=" + cache + ",mode=max"));
        succeeds(daemon("db", tmp.resolve("out-b"), "--cache-from", "type=local,src=" + cache));
        assertRunCached(RUN_CACHED);

        assertThat(daemon("db", tmp.resolve("out-c"), "--cache-to", "type=gha")).isNotZero();
        assertThat(err()).contains("cache export type \"gha\" is not supported");
    }

    @Test
    void throughASessionTheCacheTravelsToAFreshStateAsBuildctlsDoes() throws Exception {
        Path cache = tmp.resolve("cache-session");
        succeeds(daemon(false, "sa", tmp.resolve("out-a"), "--cache-to", "type=local,dest=" + cache + ",mode=max"));
        assertThat(err()).contains("to the client's " + cache);

        // index.json names the manifest under "latest", and the manifest, its config and its layers are blobs there
        ImageIndex index = ImageIndex.parse(Files.readAllBytes(cache.resolve("index.json")));
        assertThat(index.manifests())
                .singleElement()
                .satisfies(entry ->
                        assertThat(entry.annotations()).containsEntry("org.opencontainers.image.ref.name", "latest"));
        assertThat(cache.resolve("oci-layout")).isRegularFile();
        ImageManifest manifest = ImageManifest.parse(
                Files.readAllBytes(blob(cache, index.manifests().getFirst().digest())));
        assertThat(manifest.layers()).isNotEmpty();
        for (Descriptor blob : Stream.concat(Stream.of(manifest.config()), manifest.layers().stream())
                .toList()) {
            assertThat(Digest.sha256(Files.readAllBytes(blob(cache, blob.digest()))))
                    .isEqualTo(blob.digest());
        }
        try (var files = Files.list(cache)) {
            assertThat(files.map(file -> file.getFileName().toString()))
                    .as("no partial blob left")
                    .containsExactlyInAnyOrder("blobs", "index.json", "oci-layout");
        }

        succeeds(daemon(false, "sb", tmp.resolve("out-b"), "--cache-from", "type=local,src=" + cache));
        assertRunCached(RUN_CACHED);

        // as buildctl: a directory without index.json is a warning, and the build goes on without it
        Path none = tmp.resolve("no-cache-here");
        succeeds(daemon(false, "sb", tmp.resolve("out-c"), "--cache-from", "type=local,src=" + none));
        assertThat(err()).contains("kiln: warning: no cache imported from " + none + ": it has no index.json");
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> daemon(
                        false, "sb", tmp.resolve("out-c"), "--cache-from", "type=local,src=" + cache + ",tag=other")))
                .isInstanceOf(UsageException.class)
                .hasMessage("cache import type=local,src=" + cache + ": " + cache.resolve("index.json")
                        + " names no cache under tag \"other\" (its tags: latest); give tag=TAG or digest=DIGEST");
    }

    private static Path blob(Path layout, Digest digest) {
        return layout.resolve("blobs").resolve(digest.algorithm()).resolve(digest.hex());
    }

    @Test
    void cacheToARegistryModeMaxMakesTheRunACacheHitOnAFreshState() throws Exception {
        String ref = registry.host() + "/cli-cache:max";
        succeeds(embedded("ra", tmp.resolve("out-a"), "--cache-to", "type=registry,ref=" + ref + ",mode=max"));
        assertThat(err()).contains("exporting cache to registry");
        try (RegistryClient client = RegistryClient.builder().build()) {
            FetchedManifest pushed = client.fetchManifest(ImageReference.parseNormalized(ref));
            assertThat(pushed.descriptor().mediaType()).isEqualTo("application/vnd.oci.image.manifest.v1+json");
            assertThat(pushed.manifest().config().mediaType()).isEqualTo("application/vnd.buildkit.cacheconfig.v0");
        }

        succeeds(embedded("rb", tmp.resolve("out-b"), "--cache-from", "type=registry,ref=" + ref));
        assertRunCached(RUN_CACHED);
    }

    @Test
    void exportCacheToARegistryModeMinLeavesOutTheStageTheImageDoesNotContain() throws Exception {
        String ref = registry.host() + "/cli-cache:min";
        succeeds(embedded("ra", tmp.resolve("out-a"), "--export-cache", "type=registry,ref=" + ref + ",mode=min"));
        succeeds(embedded("rb", tmp.resolve("out-b"), "--import-cache", "type=registry,ref=" + ref));
        assertRunRanAgain();
    }

    @Test
    void throughTheDaemonARegistryCacheTravelsToAFreshState() throws Exception {
        String ref = registry.host() + "/cli-cache:daemon";
        succeeds(daemon("rda", tmp.resolve("out-a"), "--export-cache", "type=registry,ref=" + ref + ",mode=max"));
        succeeds(daemon("rdb", tmp.resolve("out-b"), "--import-cache", "type=registry,ref=" + ref));
        assertRunCached(RUN_CACHED);
    }

    @Test
    void inlineCacheInAPushedImageMakesTheRunACacheHitOnAFreshState() throws Exception {
        // One stage: an inline cache has the image's own steps only (mode=min).
        Files.writeString(context.resolve("Dockerfile"), """
                FROM busybox
                RUN head -c 32 /dev/urandom | od -x > /rand
                """);
        String image = registry.host() + "/cli-app:1";
        succeeds(embedded(
                "ia",
                tmp.resolve("out-a"),
                "--cache-to",
                "type=inline",
                "-t",
                image,
                "--push",
                "--output",
                "type=image,push=true"));
        try (RegistryClient client = RegistryClient.builder().build()) {
            ImageReference ref = ImageReference.parseNormalized(image);
            FetchedManifest pushed = client.fetchManifest(ref);
            String config = new String(client.fetchBlob(ref, pushed.manifest().config()), StandardCharsets.UTF_8);
            assertThat(config).contains("\"moby.buildkit.cache.v0\":\"");
        }

        succeeds(embedded("ib", tmp.resolve("out-b"), "--cache-from", "type=registry,ref=" + image));
        // one stage, so the step is [n/n], not [random n/n]
        assertRunCached("(?m)^#(\\d+) \\[\\d/\\d\\] RUN head -c 32 /dev/urandom \\| od -x > /rand\\n"
                + "(?:#\\1 .*\\n)*#\\1 CACHED$");
    }

    @Test
    void anUnsupportedCacheTypeIsAUsageErrorNamingIt() throws Exception {
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> embedded("a", tmp.resolve("out"), "--cache-to", "type=s3,bucket=x"))
                .isInstanceOf(UsageException.class)
                .hasMessageContaining("cache export type \"s3\" is not supported");
    }
}
