package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.engine.BuildException;
import dev.kiln.llb.RunOption;
import dev.kiln.llb.State;
import dev.kiln.oci.testing.ImageTar;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * docker build's everyday flags, each checked by its effect on a real build: what RUN steps see,
 * what the image holds, what is written where.
 */
class DockerBuildFlagsTest extends WithBusyboxContext {

    static final ObjectMapper JSON = new ObjectMapper();

    final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    final ByteArrayOutputStream stderr = new ByteArrayOutputStream();

    private void dockerfile(String text) throws IOException {
        Files.writeString(context.resolve("Dockerfile"), text);
    }

    /** {@code kiln build} in docker's form on {@link #context}, FROM busybox meaning the test's rootfs. */
    private int kiln(String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("--build-context", "busybox=" + rootfs, "--progress", "plain"));
        all.addAll(List.of(args));
        all.add(context.toString());
        return runBuild(new ByteArrayInputStream(new byte[0]), all);
    }

    /** {@code kiln build} on this test's state with {@code args} and {@code stdin}; it writes to stdout and stderr. */
    private int runBuild(InputStream stdin, List<String> args) throws Exception {
        List<String> all =
                new ArrayList<>(List.of("--state", tmp.resolve("state").toString()));
        all.addAll(args);
        stdout.reset();
        stderr.reset();
        return new BuildCommand(new PrintStream(stdout, true), new PrintStream(stderr, true), stdin).run(all);
    }

    /** Builds to a new local output directory and returns it. */
    private Path build(String... args) throws Exception {
        Path out = tmp.resolve("out-" + System.nanoTime());
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--output", "type=local,dest=" + out));
        assertThat(kiln(all.toArray(String[]::new))).isZero();
        return out;
    }

    private String buildAndRead(String file, String... args) throws Exception {
        return Files.readString(build(args).resolve(file));
    }

    private static void assertSameFile(Path out, Path expected, String file) {
        assertThat(out.resolve(file)).hasSameTextualContentAs(expected.resolve(file));
    }

    @Test
    void withoutAnOutputEveryStepStillRunsAndAFailingRunFailsTheBuild() throws Exception {
        dockerfile("FROM busybox\nRUN echo ran-without-output\nRUN exit 3\n");

        assertThatThrownBy(() -> kiln()).isInstanceOf(BuildException.class).hasMessageContaining("exit code: 3");
        assertThat(stderr.toString(StandardCharsets.UTF_8)).contains("ran-without-output");

        dockerfile("FROM busybox\nRUN echo fine\n");
        assertThat(kiln()).isZero();
        assertThat(stderr.toString(StandardCharsets.UTF_8))
                .containsPattern("(?m)^#\\d+ \\d+\\.\\d+ fine$")
                .contains("no output asked for");

        // the cached rebuild runs no step; its export is listed apart, not counted as one
        assertThat(kiln("--output", "type=tar,dest=" + tmp.resolve("fine.tar"))).isZero();
        assertThat(stderr.toString(StandardCharsets.UTF_8))
                .contains(": 0 steps run, ")
                .contains("(tar)");
    }

    @Test
    void noCacheRunsEveryStepAgainAndNoCacheFilterOnlyTheNamedStages() throws Exception {
        dockerfile("""
                FROM busybox AS a
                RUN head -c 16 /dev/urandom | od -An -x > /a
                FROM busybox AS b
                RUN head -c 16 /dev/urandom | od -An -x > /b
                FROM busybox
                COPY --from=a /a /a
                COPY --from=b /b /b
                """);
        Path first = build();
        assertThat(build()).satisfies(same -> assertSameFile(same, first, "a"));

        // only stage a runs again; a step run again replaces its cache record, so later builds see its new result
        Path filtered = build("--no-cache-filter", "a");
        assertThat(filtered.resolve("a")).content().isNotEqualTo(Files.readString(first.resolve("a")));
        assertSameFile(filtered, first, "b");
        assertSameFile(build(), filtered, "a");

        Path all = build("--no-cache");
        assertThat(all.resolve("a")).content().isNotEqualTo(Files.readString(filtered.resolve("a")));
        assertThat(all.resolve("b")).content().isNotEqualTo(Files.readString(filtered.resolve("b")));
    }

    @Test
    void noCacheOnAnLlbDefinitionRunsItsStepsAgain() throws Exception {
        byte[] definition = State.local("rootfs")
                .run(RunOption.sh("head -c 16 /dev/urandom | od -An -x > /r"))
                .root()
                .marshal()
                .toByteArray();
        List<String> contents = new ArrayList<>();
        for (List<String> extra : List.of(List.<String>of(), List.<String>of(), List.of("--no-cache"))) {
            Path out = tmp.resolve("llb-out-" + contents.size());
            List<String> args = new ArrayList<>(List.of(
                    "--local", "rootfs=" + rootfs, "--progress", "quiet", "--output", "type=local,dest=" + out));
            args.addAll(extra);
            runBuild(new ByteArrayInputStream(definition), args);
            contents.add(Files.readString(out.resolve("r")));
        }
        assertThat(contents.get(1)).isEqualTo(contents.get(0));
        assertThat(contents.get(2)).isNotEqualTo(contents.get(0));
    }

    @Test
    void platformLabelAndAnnotationReachTheImage() throws Exception {
        Files.writeString(context.resolve("f"), "x");
        dockerfile("FROM scratch\nCOPY f /f\n");
        Path archive = tmp.resolve("image.oci.tar");

        assertThat(kiln(
                        "--platform",
                        "linux/arm64",
                        "--label",
                        "team=build",
                        "--label",
                        "tier=2",
                        "--annotation",
                        "org.opencontainers.image.title=flags",
                        "--output",
                        "type=oci,dest=" + archive))
                .isZero();

        Map<String, byte[]> files = ImageTar.files(archive);
        JsonNode manifest = ImageTar.firstManifest(files);
        JsonNode config = JSON.readTree(
                ImageTar.blob(files, manifest.get("config").get("digest").asText()));
        assertThat(config.get("architecture").asText()).isEqualTo("arm64");
        assertThat(config.get("config").get("Labels").get("team").asText()).isEqualTo("build");
        assertThat(config.get("config").get("Labels").get("tier").asText()).isEqualTo("2");
        assertThat(manifest.get("annotations")
                        .get("org.opencontainers.image.title")
                        .asText())
                .isEqualTo("flags");
    }

    @Test
    void platformListBuildsAnIndexWithAManifestPerPlatform() throws Exception {
        Files.writeString(context.resolve("f"), "x");
        dockerfile("FROM scratch\nCOPY f /f\n");
        Path archive = tmp.resolve("multi.oci.tar");

        assertThat(kiln("--platform", "linux/amd64,linux/arm64", "--output", "type=oci,dest=" + archive))
                .as(stderr.toString(StandardCharsets.UTF_8))
                .isZero();

        Map<String, byte[]> files = ImageTar.files(archive);
        JsonNode index = ImageTar.firstManifest(files);
        assertThat(index.get("mediaType").asText()).isEqualTo("application/vnd.oci.image.index.v1+json");
        List<String> architectures = new ArrayList<>();
        for (JsonNode manifest : index.get("manifests")) {
            JsonNode config = JSON.readTree(ImageTar.blob(
                    files,
                    JSON.readTree(ImageTar.blob(files, manifest.get("digest").asText()))
                            .get("config")
                            .get("digest")
                            .asText()));
            assertThat(config.get("architecture").asText())
                    .isEqualTo(manifest.get("platform").get("architecture").asText());
            architectures.add(config.get("architecture").asText());
        }
        assertThat(architectures).containsExactly("amd64", "arm64");
    }

    @Test
    void attestationFlagsStoreProvenanceAndSbomAsBuildxAsksForThem() throws Exception {
        dockerfile("FROM busybox\nRUN echo attested > /a\n");

        // --provenance=true is mode=min, as in buildx: no LLB definition; --sbom=true adds an SPDX document
        Path out = build("--provenance=true", "--sbom=true");
        assertThat(out.resolve("a")).hasContent("attested");
        JsonNode provenance = JSON.readTree(out.resolve("provenance.json").toFile());
        assertThat(provenance.get("predicateType").asText()).isEqualTo("https://slsa.dev/provenance/v1");
        assertThat(provenance
                        .get("predicate")
                        .get("buildDefinition")
                        .get("internalParameters")
                        .has("buildConfig"))
                .isFalse();
        assertThat(JSON.readTree(out.resolve("sbom.spdx.json").toFile())
                        .get("predicate")
                        .get("spdxVersion")
                        .asText())
                .isEqualTo("SPDX-2.3");

        Path archive = tmp.resolve("attested.oci.tar");
        assertThat(kiln(
                        "--attest",
                        "type=provenance,mode=max",
                        "-t",
                        "attested:1",
                        "--output",
                        "type=oci,dest=" + archive))
                .as(stderr.toString(StandardCharsets.UTF_8))
                .isZero();
        Map<String, byte[]> files = ImageTar.files(archive);
        JsonNode index = ImageTar.firstManifest(files);
        assertThat(index.get("manifests")).hasSize(2);
        JsonNode attestation = index.get("manifests").get(1);
        assertThat(attestation.get("platform").get("os").asText()).isEqualTo("unknown");
        JsonNode layers = JSON.readTree(
                        ImageTar.blob(files, attestation.get("digest").asText()))
                .get("layers");
        assertThat(layers).hasSize(1);
        JsonNode statement =
                JSON.readTree(ImageTar.blob(files, layers.get(0).get("digest").asText()));
        assertThat(statement
                        .get("predicate")
                        .get("buildDefinition")
                        .get("internalParameters")
                        .has("buildConfig"))
                .isTrue();

        // --provenance=false asks for none: a plain image, no index
        Path plain = tmp.resolve("plain.oci.tar");
        assertThat(kiln("--provenance=false", "--output", "type=oci,dest=" + plain))
                .isZero();
        JsonNode top = JSON.readTree(ImageTar.files(plain).get("index.json"));
        assertThat(top.get("manifests").get(0).get("mediaType").asText())
                .isEqualTo("application/vnd.oci.image.manifest.v1+json");
        assertThatThrownBy(() -> kiln("--attest", "type=signature"))
                .isInstanceOf(UsageException.class)
                .hasMessageContaining("--attest: expected type=provenance or type=sbom");
    }

    @Test
    void quietPrintsOnlyTheImageIdAndIidfileWritesIt() throws Exception {
        dockerfile("FROM busybox\nRUN echo quiet-step\n");
        Path iid = tmp.resolve("ids/iid");
        Path metadata = tmp.resolve("meta.json");

        assertThat(kiln(
                        "-q",
                        "-t",
                        "flags-test:1",
                        "--iidfile",
                        iid.toString(),
                        "--metadata-file",
                        metadata.toString()))
                .isZero();

        String configDigest = JSON.readTree(metadata.toFile())
                .get("containerimage.config.digest")
                .asText();
        assertThat(configDigest).startsWith("sha256:");
        assertThat(stdout.toString(StandardCharsets.UTF_8)).isEqualTo(configDigest + "\n");
        assertThat(stderr.toString(StandardCharsets.UTF_8)).doesNotContain("quiet-step");
        assertThat(iid).hasContent(configDigest);
    }

    @Test
    void networkNoneLeavesOnlyLoopbackAndHostNeedsNoAllowOnTheCommandLine() throws Exception {
        dockerfile("FROM busybox\nRUN ls /sys/class/net > /nets\n");

        assertThat(buildAndRead("nets", "--network", "none").split("\n")).containsExactly("lo");
        assertThat(buildAndRead("nets", "--network", "host").split("\n"))
                .contains("lo")
                .hasSizeGreaterThan(1);
        assertThatThrownBy(() -> kiln("--network", "bridge"))
                .isInstanceOf(UsageException.class)
                .hasMessageContaining("--network: expected default, none or host");
    }

    @Test
    void entitlementsAreRefusedUnlessAllowed() throws Exception {
        dockerfile("FROM busybox\nRUN --network=host ls /sys/class/net > /nets\n");
        assertThatThrownBy(() -> kiln())
                .hasMessageContaining("network.host is not allowed")
                .hasMessageContaining("--allow network.host");
        assertThat(buildAndRead("nets", "--allow", "network.host")).contains("lo");

        dockerfile("FROM busybox\nRUN --security=insecure cat /proc/self/status | grep CapEff > /caps\n");
        assertThatThrownBy(() -> kiln()).hasMessageContaining("security.insecure is not allowed");
        assertThat(buildAndRead("caps", "--allow", "security.insecure")).contains("CapEff");

        assertThatThrownBy(() -> kiln("--allow", "device"))
                .isInstanceOf(UsageException.class)
                .hasMessageContaining("unknown entitlement device");
    }

    @Test
    void addHostShmSizeAndUlimitReachRunSteps() throws Exception {
        dockerfile("""
                FROM busybox
                RUN cat /etc/hosts > /hosts && grep ' /dev/shm ' /proc/mounts > /shm \\
                    && ulimit -n > /nofile && ulimit -Hn > /nofile-hard
                """);
        Path out = tmp.resolve("out");

        assertThat(kiln(
                        "--add-host",
                        "db.internal:10.1.2.3",
                        "--add-host",
                        "v6host:fd00::1",
                        "--shm-size",
                        "128m",
                        "--ulimit",
                        "nofile=1024:2048",
                        "--output",
                        "type=local,dest=" + out))
                .isZero();

        assertThat(Files.readString(out.resolve("hosts")))
                .containsPattern("(?m)^10\\.1\\.2\\.3\\s+db\\.internal$")
                .containsPattern("(?m)^fd00::1\\s+v6host$");
        assertThat(Files.readString(out.resolve("shm")).lines()).hasSize(1).allMatch(l -> l.contains("size=131072k"));
        assertThat(out.resolve("nofile")).hasContent("1024\n");
        assertThat(out.resolve("nofile-hard")).hasContent("2048\n");

        assertThatThrownBy(() -> kiln("--shm-size", "lots"))
                .isInstanceOf(UsageException.class)
                .hasMessageContaining("--shm-size: expected a size");
        assertThatThrownBy(() -> kiln("--add-host", "nocolon"))
                .isInstanceOf(UsageException.class)
                .hasMessageContaining("--add-host: expected HOST:IP");
    }

    @Test
    void helpGroupsEveryFlagAndVersionNamesTheRelease() throws Exception {
        String help = BuildCommand.usage();
        assertThat(help)
                .contains(
                        "What to build:",
                        "Cache and base images:",
                        "Outputs:",
                        "RUN steps:",
                        "buildctl's form:",
                        "Engine and registries:");
        for (String flag : List.of(
                "--no-cache",
                "--no-cache-filter",
                "--pull",
                "--platform",
                "--label",
                "--annotation",
                "--iidfile",
                "--quiet",
                "--network",
                "--add-host",
                "--shm-size",
                "--ulimit",
                "--allow",
                "--state-timeout",
                "--build-arg",
                "--secret",
                "--frontend",
                "--opt")) {
            assertThat(help).contains(flag);
        }
        assertThatThrownBy(() -> BuildCommand.parse(List.of("--help"))).isInstanceOf(HelpRequested.class);
        assertThat(Version.line()).matches("kiln \\d+\\.\\d+\\.\\d+(-SNAPSHOT)? \\(Java \\d+, .+\\)");
    }

    @Test
    void badValuesAreUsageErrorsNamingTheFlag() {
        assertThatThrownBy(() -> BuildCommand.parse(List.of("--state"))).hasMessage("--state needs a value");
        assertThatThrownBy(() -> BuildCommand.parse(List.of("--state-timeout", "soon")))
                .hasMessageContaining("--state-timeout: expected a duration");
        assertThatThrownBy(() -> BuildCommand.parse(List.of("--annotation", "index:k=v")))
                .hasMessageContaining("only manifest annotations");
        assertThatThrownBy(() -> BuildCommand.parse(List.of("a", "b")))
                .hasMessageContaining("build takes one context directory, got a and b");
    }
}
