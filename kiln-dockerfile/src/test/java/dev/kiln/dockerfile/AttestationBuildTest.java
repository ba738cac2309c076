package dev.kiln.dockerfile;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.core.Digest;
import dev.kiln.core.ImageReference;
import dev.kiln.engine.export.ArchiveDestination;
import dev.kiln.engine.export.ExportTarget;
import dev.kiln.engine.export.ImageOptions;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.registry.RegistryClient;
import dev.kiln.oci.testing.ImageTar;
import dev.kiln.oci.testing.LocalRegistry;
import dev.kiln.oci.testing.Tools;
import dev.kiln.worker.BusyboxImage;
import dev.kiln.worker.ForeignBusybox;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Builds with {@code attest:sbom} and {@code attest:provenance}, pushed to a registry on 127.0.0.1 and exported as an
 * OCI archive and a directory, read back as BuildKit's clients read them: the index lists each image and then its
 * attestation manifest (platform unknown/unknown, linked to the image by {@code vnd.docker.reference.digest}), whose
 * layers are in-toto statements about the image's digest; the SPDX document lists the dpkg packages and the Maven
 * artifacts (a jar's own, a shaded one, a nested jar's) of the image; the provenance names the base image by the
 * digest it resolved to; a local export writes the statements as files about the exported files.
 */
class AttestationBuildTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final DockerfileBuilds builds = new DockerfileBuilds();

    @RegisterExtension
    static final LocalRegistry registry = LocalRegistry.anonymous();

    static ImageReference base;
    static Descriptor baseManifest;

    /** A dpkg status file as Debian 12 writes it: installed packages, one removed with its config left. */
    private static final String DPKG_STATUS = """
            Package: base-files
            Essential: yes
            Status: install ok installed
            Priority: required
            Section: admin
            Installed-Size: 340
            Maintainer: Santiago Vila <sanvila@debian.org>
            Architecture: amd64
            Multi-Arch: foreign
            Version: 12.4+deb12u5
            Replaces: base, dpkg (<= 1.15.0), miscutils
            Provides: base
            Conffiles:
             /etc/debian_version 8c2a0ba9c6e4c1f9d1a7b1e6cc7a0a4e
             /etc/issue 30c7d74de8d2fa9b5a1d4bc7c6a2ef34
            Description: Debian base system miscellaneous files
             This package contains the basic filesystem hierarchy of a Debian system, and
             several important miscellaneous files, such as /etc/debian_version.

            Package: libc6
            Status: install ok installed
            Priority: optional
            Section: libs
            Installed-Size: 12987
            Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
            Architecture: amd64
            Multi-Arch: same
            Source: glibc
            Version: 2.36-9+deb12u4
            Depends: libgcc-s1
            Description: GNU C Library: Shared libraries

            Package: zlib1g
            Status: install ok installed
            Priority: optional
            Section: libs
            Installed-Size: 168
            Maintainer: Mark Brown <broonie@debian.org>
            Architecture: amd64
            Multi-Arch: same
            Source: zlib
            Version: 1:1.2.13.dfsg-1
            Description: compression library - runtime

            Package: old-tool
            Status: deinstall ok config-files
            Priority: optional
            Architecture: amd64
            Version: 0.9-1
            Description: removed, its configuration kept
            """;

    @BeforeAll
    static void start() throws Exception {
        base = registry.reference("library/busybox-att:1");
        try (RegistryClient client = RegistryClient.builder().build()) {
            baseManifest = BusyboxImage.push(client, base, builds.dir);
        }
    }

    @Test
    void sbomAndProvenanceAreStoredAsAttestationManifestsOfTheImage() throws Exception {
        byte[] nested = jar(Map.of(
                "META-INF/maven/org.apache.commons/commons-lang3/pom.properties",
                pom("org.apache.commons", "commons-lang3", "3.14.0"),
                "org/apache/commons/lang3/StringUtils.class",
                "\u00ca\u00fe\u00ba\u00be class bytes"));
        Map<String, Object> appEntries = new LinkedHashMap<>();
        appEntries.put("META-INF/maven/com.example/app/pom.properties", pom("com.example", "app", "1.0"));
        appEntries.put("META-INF/maven/com.example/app/pom.xml", "<project><artifactId>app</artifactId></project>");
        // a dependency the build shaded into the jar: its classes and its pom.properties, no jar of its own
        appEntries.put(
                "META-INF/maven/com.google.guava/guava/pom.properties", pom("com.google.guava", "guava", "33.0.0-jre"));
        appEntries.put("com/google/common/base/Strings.class", "shaded class bytes");
        appEntries.put("com/example/App.class", "app class bytes");
        appEntries.put("BOOT-INF/lib/commons-lang3-3.14.0.jar", nested);
        byte[] app = jar(appEntries);

        Path context = builds.context(
                "attested",
                Map.of(
                        "Dockerfile",
                        """
                        FROM %1$s AS build
                        ARG BUILDKIT_SBOM_SCAN_STAGE=true
                        RUN echo built > /built
                        FROM %1$s
                        COPY status /var/lib/dpkg/status
                        COPY os-release /etc/os-release
                        COPY app-1.0.jar /app/app-1.0.jar
                        COPY jackson-databind.jar /app/lib/jackson-databind.jar
                        COPY --from=build /built /built
                        """.formatted(base),
                        "status",
                        DPKG_STATUS,
                        "os-release",
                        "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n"));
        Files.write(context.resolve("app-1.0.jar"), app);
        // and a jar Maven really built: Jackson's, from this test's own class path
        Path realJar = Path.of(com.fasterxml.jackson.databind.ObjectMapper.class
                .getProtectionDomain()
                .getCodeSource()
                .getLocation()
                .toURI());
        assertThat(realJar.toString()).endsWith(".jar");
        Files.copy(realJar, context.resolve("jackson-databind.jar"));
        String jacksonVersion = com.fasterxml.jackson.databind.cfg.PackageVersion.VERSION.toString();
        String pushed = registry.host() + "/att/app:1";
        Path oci = builds.dir.resolve("attested.oci.tar");
        Path out = builds.dir.resolve("attested-out");

        builds.build(
                context,
                Map.of("attest:sbom", "", "attest:provenance", "mode=max", "build-arg:VERSION", "7"),
                Map.of(),
                List.of(
                        new ExportTarget.Image(List.of(pushed), true, ImageOptions.defaults()),
                        new ExportTarget.OciArchive(
                                new ArchiveDestination.ToFile(oci), List.of(pushed), ImageOptions.defaults()),
                        new ExportTarget.LocalDirectory(out)),
                new ArrayList<>());

        // the pushed index, as skopeo reads it: the image, then its attestation manifest linked to it
        JsonNode index = Tools.skopeoInspect(builds.dir, "docker://" + pushed, "--raw");
        assertThat(index.path("mediaType").asText()).isEqualTo("application/vnd.oci.image.index.v1+json");
        assertThat(index.path("manifests")).hasSize(2);
        JsonNode image = index.path("manifests").get(0);
        JsonNode attestation = index.path("manifests").get(1);
        assertThat(image.path("platform").path("architecture").asText()).isEqualTo("amd64");
        assertThat(attestation.path("platform").path("os").asText()).isEqualTo("unknown");
        assertThat(attestation.path("platform").path("architecture").asText()).isEqualTo("unknown");
        assertThat(attestation
                        .path("annotations")
                        .path("vnd.docker.reference.type")
                        .asText())
                .isEqualTo("attestation-manifest");
        assertThat(attestation
                        .path("annotations")
                        .path("vnd.docker.reference.digest")
                        .asText())
                .isEqualTo(image.path("digest").asText());
        JsonNode pushedAttestation = Tools.skopeoInspect(
                builds.dir,
                "docker://" + registry.host() + "/att/app@"
                        + attestation.path("digest").asText(),
                "--raw");
        assertThat(pushedAttestation.path("layers")).hasSize(3);

        // the same index in the OCI archive, whose blobs the statements are read from
        Map<String, byte[]> files = ImageTar.files(oci);
        JsonNode ociIndex = ImageTar.firstManifest(files);
        assertThat(ociIndex).isEqualTo(index);
        JsonNode manifest =
                JSON.readTree(ImageTar.blob(files, attestation.path("digest").asText()));
        JsonNode config = JSON.readTree(
                ImageTar.blob(files, manifest.path("config").path("digest").asText()));
        assertThat(config.path("architecture").asText()).isEqualTo("unknown");
        assertThat(config.path("os").asText()).isEqualTo("unknown");
        List<String> predicateTypes = new ArrayList<>();
        Map<String, JsonNode> statements = new LinkedHashMap<>();
        for (JsonNode layer : manifest.path("layers")) {
            assertThat(layer.path("mediaType").asText()).isEqualTo("application/vnd.in-toto+json");
            String type =
                    layer.path("annotations").path("in-toto.io/predicate-type").asText();
            predicateTypes.add(type);
            JsonNode statement =
                    JSON.readTree(ImageTar.blob(files, layer.path("digest").asText()));
            assertThat(statement.path("predicateType").asText()).isEqualTo(type);
            assertThat(statement.path("_type").asText()).isEqualTo("https://in-toto.io/Statement/v0.1");
            assertThat(config.path("rootfs").path("diff_ids").toString())
                    .contains(layer.path("digest").asText());
            // every statement is about the image: its name as a package URL, its manifest's digest
            assertThat(statement.path("subject")).hasSize(1);
            assertThat(statement.path("subject").get(0).path("name").asText())
                    .isEqualTo(
                            "pkg:docker/" + registry.host().replace(":", "%3A") + "/att/app@1?platform=linux%2Famd64");
            assertThat("sha256:"
                            + statement
                                    .path("subject")
                                    .get(0)
                                    .path("digest")
                                    .path("sha256")
                                    .asText())
                    .isEqualTo(image.path("digest").asText());
            statements.put(statement.path("predicate").path("name").asText(type), statement.path("predicate"));
        }
        assertThat(predicateTypes)
                .containsExactly(
                        "https://spdx.dev/Document", "https://spdx.dev/Document", "https://slsa.dev/provenance/v1");

        JsonNode sbom = statements.get("sbom");
        assertThat(sbom.path("spdxVersion").asText()).isEqualTo("SPDX-2.3");
        Map<String, JsonNode> packages = new HashMap<>();
        Map<String, String> ids = new HashMap<>();
        for (JsonNode pkg : sbom.path("packages")) {
            packages.put(pkg.path("name").asText(), pkg);
            ids.put(pkg.path("SPDXID").asText(), pkg.path("name").asText());
        }
        assertThat(packages).containsKeys("base-files", "libc6", "zlib1g", "app", "guava", "commons-lang3");
        assertThat(packages).doesNotContainKey("old-tool");
        assertThat(packages.get("zlib1g").path("versionInfo").asText()).isEqualTo("1:1.2.13.dfsg-1");
        assertThat(purl(packages.get("libc6")))
                .isEqualTo("pkg:deb/debian/libc6@2.36-9+deb12u4?arch=amd64&upstream=glibc&distro=debian-12");
        assertThat(purl(packages.get("app"))).isEqualTo("pkg:maven/com.example/app@1.0");
        assertThat(purl(packages.get("guava"))).isEqualTo("pkg:maven/com.google.guava/guava@33.0.0-jre");
        assertThat(sha256(packages.get("app"))).isEqualTo(Digest.sha256(app).hex());
        assertThat(purl(packages.get("jackson-databind")))
                .isEqualTo("pkg:maven/com.fasterxml.jackson.core/jackson-databind@" + jacksonVersion);
        assertThat(sha256(packages.get("jackson-databind")))
                .isEqualTo(Digest.sha256(Files.readAllBytes(realJar)).hex());
        assertThat(sha256(packages.get("commons-lang3")))
                .isEqualTo(Digest.sha256(nested).hex());
        assertThat(packages.get("commons-lang3").path("sourceInfo").asText())
                .endsWith("/app/app-1.0.jar!/BOOT-INF/lib/commons-lang3-3.14.0.jar");
        assertThat(packages.get("guava").path("checksums").isMissingNode()).isTrue();
        List<String> contains = new ArrayList<>();
        for (JsonNode relationship : sbom.path("relationships")) {
            if (relationship.path("relationshipType").asText().equals("CONTAINS")) {
                contains.add(ids.get(relationship.path("spdxElementId").asText()) + " contains "
                        + ids.get(relationship.path("relatedSpdxElement").asText()));
            }
        }
        assertThat(contains).containsExactlyInAnyOrder("app contains guava", "app contains commons-lang3");
        // the stage BUILDKIT_SBOM_SCAN_STAGE asked for has its own document
        assertThat(statements).containsKey("sbom-build");

        JsonNode provenance = statements.get("https://slsa.dev/provenance/v1");
        JsonNode definition = provenance.path("buildDefinition");
        assertThat(definition.path("buildType").asText())
                .isEqualTo("https://github.com/moby/buildkit/blob/master/docs/attestations/slsa-definitions.md");
        assertThat(definition
                        .path("externalParameters")
                        .path("request")
                        .path("frontend")
                        .asText())
                .isEqualTo("dockerfile.v0");
        assertThat(definition
                        .path("externalParameters")
                        .path("request")
                        .path("args")
                        .path("build-arg:VERSION")
                        .asText())
                .isEqualTo("7");
        List<String> locals = new ArrayList<>();
        definition
                .path("externalParameters")
                .path("request")
                .path("locals")
                .forEach(l -> locals.add(l.path("name").asText()));
        assertThat(locals).contains("context");
        JsonNode baseDependency = null;
        for (JsonNode dependency : definition.path("resolvedDependencies")) {
            if (dependency.path("uri").asText().contains("busybox-att")) {
                baseDependency = dependency;
            }
        }
        assertThat(baseDependency)
                .as(definition.path("resolvedDependencies").toString())
                .isNotNull();
        assertThat(baseDependency.path("uri").asText())
                .isEqualTo("pkg:docker/" + registry.host().replace(":", "%3A")
                        + "/library/busybox-att@1?platform=linux%2Famd64");
        assertThat("sha256:" + baseDependency.path("digest").path("sha256").asText())
                .isEqualTo(baseManifest.digest().toString());
        // the local context too, by a digest of the files the build read
        List<String> localDependencies = new ArrayList<>();
        for (JsonNode dependency : definition.path("resolvedDependencies")) {
            if (dependency.path("uri").asText().startsWith("local://")) {
                localDependencies.add(dependency.path("uri").asText());
                assertThat(dependency.path("digest").path("sha256").asText()).hasSize(64);
            }
        }
        assertThat(localDependencies).contains("local://context");
        assertThat(definition
                        .path("internalParameters")
                        .path("buildConfig")
                        .path("llbDefinition")
                        .size())
                .isGreaterThan(3);
        JsonNode metadata = provenance.path("runDetails").path("metadata");
        assertThat(metadata.path("invocationID").asText()).isNotEmpty();
        assertThat(metadata.path("startedOn").asText())
                .isLessThanOrEqualTo(metadata.path("finishedOn").asText());
        assertThat(metadata.path("buildkit_metadata")
                        .path("source")
                        .path("infos")
                        .get(0)
                        .path("filename")
                        .asText())
                .isEqualTo("Dockerfile");

        // a local export writes the statements beside the files, about the files
        assertThat(out.resolve("built")).hasContent("built");
        for (String name : List.of("provenance.json", "sbom.spdx.json", "sbom-build.spdx.json")) {
            assertThat(out.resolve(name)).exists();
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve(name))))
                    .isEqualTo("rw-------");
        }
        JsonNode local = JSON.readTree(out.resolve("provenance.json").toFile());
        assertThat(local.path("predicateType").asText()).isEqualTo("https://slsa.dev/provenance/v1");
        Map<String, String> subjects = new HashMap<>();
        local.path("subject")
                .forEach(s -> subjects.put(
                        s.path("name").asText(), s.path("digest").path("sha256").asText()));
        assertThat(subjects).containsEntry("app/app-1.0.jar", Digest.sha256(app).hex());
        assertThat(subjects)
                .containsEntry(
                        "built",
                        Digest.sha256("built\n".getBytes(StandardCharsets.UTF_8))
                                .hex());
        assertThat(subjects).doesNotContainKey("provenance.json");
        assertThat(Files.readString(out.resolve("sbom.spdx.json"))).startsWith("{\n  \"_type\": ");
    }

    @Test
    void eachPlatformOfAMultiPlatformBuildGetsItsOwnAttestationManifest() throws Exception {
        Assumptions.assumeTrue(
                ForeignBusybox.missing().isEmpty(),
                () -> ForeignBusybox.missing().orElse(""));
        ImageReference two = registry.reference("library/busybox-att-two:1");
        try (RegistryClient client = RegistryClient.builder().build()) {
            BusyboxImage.pushTwoPlatforms(client, two, builds.dir);
        }
        Path context = builds.context("attested-two", Map.of("Dockerfile", "FROM " + two + "\nRUN uname -m > /arch\n"));
        String pushed = registry.host() + "/att/two:1";
        Path out = builds.dir.resolve("attested-two-out");

        builds.build(
                context,
                Map.of("platform", "linux/amd64,linux/arm64", "attest:provenance", "mode=min"),
                Map.of(),
                List.of(
                        new ExportTarget.Image(List.of(pushed), true, ImageOptions.defaults()),
                        new ExportTarget.LocalDirectory(out)),
                new ArrayList<>());

        JsonNode index = Tools.skopeoInspect(builds.dir, "docker://" + pushed, "--raw");
        JsonNode manifests = index.path("manifests");
        assertThat(manifests).hasSize(4);
        for (int i = 0; i < 2; i++) {
            JsonNode attestation = manifests.get(2 + i);
            assertThat(attestation.path("platform").path("architecture").asText())
                    .isEqualTo("unknown");
            assertThat(attestation
                            .path("annotations")
                            .path("vnd.docker.reference.digest")
                            .asText())
                    .isEqualTo(manifests.get(i).path("digest").asText());
            JsonNode layers = Tools.skopeoInspect(
                            builds.dir,
                            "docker://" + registry.host() + "/att/two@"
                                    + attestation.path("digest").asText(),
                            "--raw")
                    .path("layers");
            assertThat(layers).hasSize(1);
            assertThat(layers.get(0)
                            .path("annotations")
                            .path("in-toto.io/predicate-type")
                            .asText())
                    .isEqualTo("https://slsa.dev/provenance/v1");
        }
        for (String platform : List.of("linux_amd64", "linux_arm64")) {
            JsonNode statement = JSON.readTree(
                    out.resolve(platform).resolve("provenance.json").toFile());
            JsonNode request = statement
                    .path("predicate")
                    .path("buildDefinition")
                    .path("externalParameters")
                    .path("request");
            assertThat(request.path("frontend").asText()).isEqualTo("dockerfile.v0");
            // min mode leaves out the LLB definition
            assertThat(statement
                            .path("predicate")
                            .path("buildDefinition")
                            .path("internalParameters")
                            .has("buildConfig"))
                    .isFalse();
        }
    }

    private static String purl(JsonNode pkg) {
        return pkg.path("externalRefs").get(0).path("referenceLocator").asText();
    }

    private static String sha256(JsonNode pkg) {
        for (JsonNode checksum : pkg.path("checksums")) {
            if (checksum.path("algorithm").asText().equals("SHA256")) {
                return checksum.path("checksumValue").asText();
            }
        }
        return "";
    }

    private static String pom(String group, String artifact, String version) {
        return "#Generated by Maven\n#Tue Jan 02 10:00:00 UTC 2024\nartifactId=" + artifact + "\ngroupId=" + group
                + "\nversion=" + version + "\n";
    }

    /** A jar as Maven's archiver lays one out: the manifest first, then the entries. */
    private static byte[] jar(Map<String, ?> entries) throws IOException {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().putValue("Created-By", "Maven JAR Plugin 3.3.0");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JarOutputStream jar = new JarOutputStream(bytes, manifest)) {
            for (Map.Entry<String, ?> entry : entries.entrySet()) {
                jar.putNextEntry(new ZipEntry(entry.getKey()));
                jar.write(
                        entry.getValue() instanceof byte[] raw
                                ? raw
                                : entry.getValue().toString().getBytes(StandardCharsets.UTF_8));
                jar.closeEntry();
            }
        }
        return bytes.toByteArray();
    }
}
