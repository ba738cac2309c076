package dev.kiln.maven;

import static dev.kiln.maven.SampleProject.layers;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * kiln-maven-plugin in a real Maven build of {@code examples/maven-app} ({@link SampleProject}) on the embedded
 * engine: the pushed image is pulled with skopeo, unpacked with umoci and its java command run with runc, with the
 * image's config.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MavenAppIT {

    private static SampleProject project;
    private static Path sample;
    private static String image;

    /** Layers and digest of the first push, which the later tests compare with. */
    private static List<String> firstLayers;

    private static String firstDigest;

    @BeforeAll
    static void setUp() throws Exception {
        project = SampleProject.start(Path.of(System.getProperty("kiln.it.work", "target/it")));
        sample = project.sample;
        image = project.image;
    }

    @AfterAll
    static void tearDown() throws IOException {
        if (project != null) {
            project.close();
        }
    }

    @Test
    @Order(1)
    void imageRunsTheServiceWithItsConfig() throws Exception {
        String log = project.maven("package", "kiln:build");
        assertThat(log).contains("RUN mkdir -p /var/lib/maven-app");

        JsonNode inspect = project.skopeoInspect("docker://" + image, false);
        firstLayers = layers(inspect);
        firstDigest = inspect.path("Digest").asText();
        assertThat(firstDigest).isEqualTo(Files.readString(sample.resolve("target/kiln-image.digest")));
        // the base's one layer, the RUN step, dependencies, three of extra files (the directory, the files with
        // mode 755, the files owned by 1000:1000), resources, classes
        assertThat(firstLayers).hasSize(8);

        JsonNode config = project.skopeoInspect("docker://" + image, true).path("config");
        assertThat(config.path("Entrypoint").toString())
                .isEqualTo("[\"java\",\"-XX:TieredStopAtLevel=1\",\"-cp\","
                        + "\"/app/resources:/app/classes:/app/libs/*\",\"com.example.hello.HelloService\"]");
        assertThat(config.path("Cmd").toString()).isEqualTo("[\"from-image\"]");
        assertThat(config.path("Env").toString()).contains("GREETING_STYLE=plain");
        assertThat(config.path("ExposedPorts").has("8080/tcp")).isTrue();
        assertThat(config.path("Labels").path("org.opencontainers.image.title").asText())
                .isEqualTo("maven-app");
        assertThat(config.path("WorkingDir").asText()).isEqualTo("/app");
        // project.build.outputTimestamp is the image's SOURCE_DATE_EPOCH
        assertThat(project.skopeoInspect("docker://" + image, false)
                        .path("Created")
                        .asText())
                .startsWith("2024-01-01T00:00:00");

        Path rootfs = project.unpack(image, "first");
        assertThat(project.runImage(rootfs.getParent()))
                .contains("{\"args\":[\"from-image\"],\"greeting\":\"hello from maven-app\","
                        + "\"message\":\"resources are in their own layer\",\"service\":\"maven-app\","
                        + "\"state\":\"ready\",\"style\":\"plain\"}")
                .contains("INFO com.example.hello.HelloService - started");
        Path script = rootfs.resolve("opt/maven-app/bin/hello.sh");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(script, LinkOption.NOFOLLOW_LINKS)))
                .isEqualTo("rwxr-xr-x");
        assertThat(Files.getAttribute(rootfs.resolve("opt/maven-app/data/README.txt"), "unix:uid"))
                .isEqualTo(1000);
        assertThat(Files.getAttribute(script, "unix:uid")).isEqualTo(0);
        assertThat(rootfs.resolve("app/libs/jackson-databind-2.20.1.jar")).isRegularFile();
        assertThat(rootfs.resolve("app/classes/com/example/hello/Greeting.class"))
                .isRegularFile();
        assertThat(rootfs.resolve("app/resources/app.properties")).isRegularFile();
        try (Stream<Path> resources = Files.walk(rootfs.resolve("app/resources"))) {
            assertThat(resources.filter(p -> p.toString().endsWith(".class"))).isEmpty();
        }
    }

    @Test
    @Order(2)
    void theSameConfigurationBuiltAgainFromCleanGivesTheSameDigest() throws Exception {
        assertThat(firstDigest).as("the first push").isNotNull();
        // clean: every class and resource is written again with new times; the image must not change
        project.maven("clean", "package", "kiln:build", "kiln:tar");
        JsonNode inspect = project.skopeoInspect("docker://" + image, false);
        assertThat(inspect.path("Digest").asText()).isEqualTo(firstDigest);
        assertThat(layers(inspect)).isEqualTo(firstLayers);
        // skopeo lists an archive's layers by their diff IDs
        JsonNode archive = project.skopeoInspect("docker-archive:" + sample.resolve("target/kiln-image.tar"), false);
        List<String> diffIds = new ArrayList<>();
        project.skopeoInspect("docker://" + image, true)
                .path("rootfs")
                .path("diff_ids")
                .forEach(id -> diffIds.add(id.asText()));
        assertThat(layers(archive)).isEqualTo(diffIds);
    }

    @Test
    @Order(3)
    void aClassOnlyChangePushesExactlyOneNewLayer() throws Exception {
        assertThat(firstLayers).as("the first push").isNotNull();
        Path greeting = sample.resolve("src/main/java/com/example/hello/Greeting.java");
        Files.writeString(
                greeting, Files.readString(greeting).replace("hello from maven-app", "hello again from maven-app"));
        String log = project.maven("package", "kiln:build");
        assertThat(log).contains("CACHED RUN mkdir -p /var/lib/maven-app");

        List<String> layers = layers(project.skopeoInspect("docker://" + image, false));
        assertThat(layers).hasSameSizeAs(firstLayers);
        assertThat(layers.subList(0, layers.size() - 1)).isEqualTo(firstLayers.subList(0, firstLayers.size() - 1));
        Set<String> added = new LinkedHashSet<>(layers);
        added.removeAll(firstLayers);
        assertThat(added).hasSize(1).containsExactly(layers.getLast());

        assertThat(project.runImage(project.unpack(image, "changed").getParent()))
                .contains("\"greeting\":\"hello again from maven-app\"");
    }

    @Test
    @Order(4)
    void theDockerfileGoalBuildsTheProjectsDockerfileWithTheBuildsOutputs() throws Exception {
        String dockerfileImage = project.registry.host() + "/maven-app-dockerfile:1";
        project.maven("-Dimage=" + dockerfileImage, "-Dkiln.push=true", "package", "kiln:dockerfile");
        assertThat(project.runImage(
                        project.unpack(dockerfileImage, "dockerfile").getParent()))
                .contains("\"args\":[\"from-dockerfile\"]")
                .contains("\"state\":\"dockerfile\"")
                .contains("INFO com.example.hello.HelloService - started");
    }
}
