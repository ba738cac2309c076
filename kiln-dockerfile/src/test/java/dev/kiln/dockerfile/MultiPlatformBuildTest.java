package dev.kiln.dockerfile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.core.ImageReference;
import dev.kiln.engine.BuildException;
import dev.kiln.engine.export.ArchiveDestination;
import dev.kiln.engine.export.ExportTarget;
import dev.kiln.engine.export.ImageOptions;
import dev.kiln.oci.registry.RegistryClient;
import dev.kiln.oci.testing.ImageTar;
import dev.kiln.oci.testing.LocalRegistry;
import dev.kiln.oci.testing.Tools;
import dev.kiln.solver.ProgressEvent;
import dev.kiln.worker.BusyboxImage;
import dev.kiln.worker.ForeignBusybox;
import dev.kiln.worker.StepNames;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * One build for linux/amd64 and linux/arm64 from a two-platform base image in a registry on 127.0.0.1 (the host's
 * busybox-static and Debian's arm64 one): each platform's RUN steps run in real containers, the arm64 ones under
 * qemu-aarch64, and every output type writes both platforms: an index pushed to the registry (read by skopeo), an
 * index in the OCI and Docker archives, one directory per platform in local and tar outputs.
 */
class MultiPlatformBuildTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TWO_PLATFORMS = "linux/amd64,linux/arm64";

    @RegisterExtension
    static final DockerfileBuilds builds = new DockerfileBuilds();

    @RegisterExtension
    static final LocalRegistry registry = LocalRegistry.anonymous();

    static ImageReference base;

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue(
                ForeignBusybox.missing().isEmpty(),
                () -> ForeignBusybox.missing().orElse(""));
        base = registry.reference("library/busybox-two:1");
        try (RegistryClient client = RegistryClient.builder().build()) {
            BusyboxImage.pushTwoPlatforms(client, base, builds.dir);
        }
    }

    @Test
    void eachPlatformRunsNativelyOrEmulatedAndSharesTheBuildPlatformStage() throws Exception {
        Path context = builds.context("two-platforms", Map.of("Dockerfile", """
                FROM --platform=$BUILDPLATFORM %1$s AS tools
                RUN uname -m > /built-on && od -An -N8 -tx1 /dev/urandom > /nonce && echo shared-step-ran
                ARG TARGETARCH
                RUN echo "$TARGETARCH" > /target-arch && uname -m > /target-step-on
                FROM %1$s
                ARG TARGETPLATFORM TARGETOS TARGETARCH TARGETVARIANT BUILDPLATFORM BUILDOS BUILDARCH
                RUN uname -m > /arch && echo "$TARGETPLATFORM $TARGETOS $TARGETARCH [$TARGETVARIANT] $BUILDPLATFORM $BUILDOS $BUILDARCH" > /args
                COPY --from=tools /built-on /nonce /target-arch /target-step-on /
                """.formatted(base)));
        Path out = builds.dir.resolve("two-platforms-out");
        Path tar = builds.dir.resolve("two-platforms.tar");
        Path oci = builds.dir.resolve("two-platforms.oci.tar");
        Path docker = builds.dir.resolve("two-platforms.docker.tar");
        String pushed = registry.host() + "/multi/app:1";
        List<ProgressEvent> events = Collections.synchronizedList(new ArrayList<>());

        builds.build(
                context,
                Map.of("platform", TWO_PLATFORMS),
                Map.of(),
                List.of(
                        new ExportTarget.LocalDirectory(out),
                        new ExportTarget.TarFile(tar),
                        new ExportTarget.Image(List.of(pushed), true, ImageOptions.defaults()),
                        new ExportTarget.OciArchive(
                                new ArchiveDestination.ToFile(oci), List.of("multi/app:1"), ImageOptions.defaults()),
                        new ExportTarget.DockerArchive(
                                new ArchiveDestination.ToFile(docker),
                                List.of("multi/app:1"),
                                ImageOptions.dockerDefaults())),
                events);

        assertThat(read(out, "linux_amd64/arch")).isEqualTo("x86_64");
        assertThat(read(out, "linux_arm64/arch")).isEqualTo("aarch64");
        assertThat(read(out, "linux_amd64/args")).isEqualTo("linux/amd64 linux amd64 [] linux/amd64 linux amd64");
        assertThat(read(out, "linux_arm64/args")).isEqualTo("linux/arm64 linux arm64 [] linux/amd64 linux amd64");
        for (String platform : List.of("linux_amd64", "linux_arm64")) {
            assertThat(read(out, platform + "/built-on")).isEqualTo("x86_64");
            assertThat(read(out, platform + "/target-step-on")).isEqualTo("x86_64");
        }
        // one run of the shared step: both images hold the same random bytes it wrote
        assertThat(read(out, "linux_amd64/nonce")).isEqualTo(read(out, "linux_arm64/nonce"));
        assertThat(read(out, "linux_amd64/target-arch")).isEqualTo("amd64");
        assertThat(read(out, "linux_arm64/target-arch")).isEqualTo("arm64");
        List<String> started = StepNames.executed(events);
        assertThat(started).filteredOn(name -> name.contains("shared-step-ran")).hasSize(1);
        assertThat(started).filteredOn(name -> name.contains("> /target-arch")).hasSize(2);

        assertThat(tarTopDirectories(tar)).containsExactly("linux_amd64", "linux_arm64");

        JsonNode index = Tools.skopeoInspect(builds.dir, "docker://" + pushed, "--raw");
        assertThat(index.path("mediaType").asText()).isEqualTo("application/vnd.oci.image.index.v1+json");
        assertThat(platforms(index)).containsExactly("linux/amd64", "linux/arm64");
        Path copied = builds.dir.resolve("skopeo-copy");
        Tools.run(
                "skopeo", "copy", "--all", "--src-tls-verify=false", "docker://" + pushed, "oci:" + copied + ":copied");
        JsonNode copiedTop = JSON.readTree(copied.resolve("index.json").toFile());
        JsonNode copiedIndex = JSON.readTree(copied.resolve("blobs/sha256/"
                        + copiedTop
                                .path("manifests")
                                .get(0)
                                .path("digest")
                                .asText()
                                .substring(7))
                .toFile());
        assertThat(platforms(copiedIndex)).containsExactly("linux/amd64", "linux/arm64");

        Map<String, byte[]> ociFiles = ImageTar.files(oci);
        JsonNode ociTop = JSON.readTree(ociFiles.get("index.json"));
        assertThat(ociTop.path("manifests").get(0).path("mediaType").asText())
                .isEqualTo("application/vnd.oci.image.index.v1+json");
        JsonNode ociIndex = ImageTar.firstManifest(ociFiles);
        assertThat(platforms(ociIndex)).containsExactly("linux/amd64", "linux/arm64");
        for (JsonNode manifest : ociIndex.path("manifests")) {
            JsonNode config = JSON.readTree(ImageTar.blob(
                    ociFiles,
                    JSON.readTree(ImageTar.blob(
                                    ociFiles, manifest.path("digest").asText()))
                            .path("config")
                            .path("digest")
                            .asText()));
            assertThat(config.path("architecture").asText())
                    .isEqualTo(manifest.path("platform").path("architecture").asText());
        }

        Map<String, byte[]> dockerFiles = ImageTar.files(docker);
        JsonNode manifestList = ImageTar.firstManifest(dockerFiles);
        assertThat(manifestList.path("mediaType").asText())
                .isEqualTo("application/vnd.docker.distribution.manifest.list.v2+json");
        assertThat(platforms(manifestList)).containsExactly("linux/amd64", "linux/arm64");
        assertThat(JSON.readTree(dockerFiles.get("manifest.json"))).hasSize(2);
    }

    @Test
    void platformTheBaseIndexLacksFailsListingThePlatformsItHas() throws Exception {
        Path context = builds.context("missing-platform", Map.of("Dockerfile", "FROM " + base + "\nRUN true\n"));

        assertThatThrownBy(() -> builds.build(context, Map.of("platform", "linux/amd64,linux/s390x")))
                .isInstanceOf(BuildException.class)
                .hasMessageContaining("no manifest for linux/s390x")
                .hasMessageContaining("linux/amd64, linux/arm64");
    }

    private static String read(Path dir, String file) throws IOException {
        return Files.readString(dir.resolve(file)).strip();
    }

    private static List<String> platforms(JsonNode index) {
        List<String> platforms = new ArrayList<>();
        for (JsonNode manifest : index.path("manifests")) {
            platforms.add(manifest.path("platform").path("os").asText() + "/"
                    + manifest.path("platform").path("architecture").asText());
        }
        return platforms;
    }

    private static Set<String> tarTopDirectories(Path tar) throws IOException {
        Set<String> tops = new LinkedHashSet<>();
        try (TarArchiveInputStream in = new TarArchiveInputStream(Files.newInputStream(tar))) {
            TarArchiveEntry entry;
            while ((entry = in.getNextEntry()) != null) {
                tops.add(entry.getName().split("/", 2)[0]);
            }
        }
        return tops;
    }
}
