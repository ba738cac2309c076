package dev.kiln.maven;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.BuildRequest;
import dev.kiln.engine.Engine;
import dev.kiln.engine.EngineOptions;
import dev.kiln.engine.FrontendSpec;
import dev.kiln.engine.export.ExportTarget;
import dev.kiln.engine.export.ImageOptions;
import dev.kiln.llb.CopyOption;
import dev.kiln.llb.FileAction;
import dev.kiln.llb.State;
import dev.kiln.oci.registry.Credentials;
import dev.kiln.oci.testing.LocalRegistry;
import dev.kiln.worker.BuildSession;
import dev.kiln.worker.BusyboxRootfs;
import dev.kiln.worker.SessionClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * kiln-maven-plugin in a real Maven build of {@code examples/maven-app}: a nested Maven (the one running this
 * build) with the plugin that maven-invoker-plugin installed into {@code target/local-repo}, pushing to a registry
 * on 127.0.0.1 that wants a password (which the nested build's settings.xml gives as the {@code <server>} of the
 * registry's host). The base image is a Java runtime made here once: busybox and a jlink'ed runtime of this JDK with
 * the C libraries it needs, pushed by Kiln's engine. The pushed image is pulled with skopeo, unpacked with umoci and
 * its java command run with runc, with the image's config.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MavenAppIT {

    private static final String USER = "kiln";
    private static final String PASSWORD = "maven-it-secret";
    private static final ObjectMapper JSON = new ObjectMapper();

    private static LocalRegistry registry;
    private static Path work;
    private static Path sample;
    private static Path state;
    private static Path settings;
    private static String image;
    private static String baseImage;

    /** Layers and digest of the first push, which the later tests compare with. */
    private static List<String> firstLayers;

    private static String firstDigest;

    /** Numbers the nested builds' logs. */
    private static int builds;

    @BeforeAll
    static void setUp() throws Exception {
        registry = LocalRegistry.withBasicAuth(USER, PASSWORD).start();
        work = Path.of(System.getProperty("kiln.it.work", "target/it")).toAbsolutePath();
        if (Files.exists(work)) {
            dev.kiln.core.Trees.deleteRecursively(work);
        }
        Files.createDirectories(work);
        state = work.resolve("state");
        sample = copySample(Path.of(property("kiln.it.sample")), work.resolve("maven-app"));
        settings = writeSettings(work.resolve("settings.xml"));
        baseImage = registry.host() + "/jre:25";
        image = registry.host() + "/maven-app:1";
        pushJavaBase(baseImage);
    }

    @AfterAll
    static void tearDown() throws IOException {
        if (registry != null) {
            registry.close();
        }
    }

    @Test
    @Order(1)
    void imageRunsTheServiceWithItsConfig() throws Exception {
        String log = maven("package", "kiln:build");
        assertThat(log).contains("RUN mkdir -p /var/lib/maven-app");

        JsonNode inspect = skopeoInspect("docker://" + image, false);
        firstLayers = layers(inspect);
        firstDigest = inspect.path("Digest").asText();
        assertThat(firstDigest).isEqualTo(Files.readString(sample.resolve("target/kiln-image.digest")));
        // the base's one layer, the RUN step, dependencies, three of extra files (the directory, the files with
        // mode 755, the files owned by 1000:1000), resources, classes
        assertThat(firstLayers).hasSize(8);

        JsonNode config = skopeoInspect("docker://" + image, true).path("config");
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
        assertThat(skopeoInspect("docker://" + image, false).path("Created").asText())
                .startsWith("2024-01-01T00:00:00");

        Path rootfs = unpack(image, "first");
        assertThat(runImage(rootfs.getParent()))
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
        maven("clean", "package", "kiln:build", "kiln:tar");
        JsonNode inspect = skopeoInspect("docker://" + image, false);
        assertThat(inspect.path("Digest").asText()).isEqualTo(firstDigest);
        assertThat(layers(inspect)).isEqualTo(firstLayers);
        // skopeo lists an archive's layers by their diff IDs
        JsonNode archive = skopeoInspect("docker-archive:" + sample.resolve("target/kiln-image.tar"), false);
        List<String> diffIds = new ArrayList<>();
        skopeoInspect("docker://" + image, true)
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
        String log = maven("package", "kiln:build");
        assertThat(log).contains("CACHED RUN mkdir -p /var/lib/maven-app");

        List<String> layers = layers(skopeoInspect("docker://" + image, false));
        assertThat(layers).hasSameSizeAs(firstLayers);
        assertThat(layers.subList(0, layers.size() - 1)).isEqualTo(firstLayers.subList(0, firstLayers.size() - 1));
        Set<String> added = new LinkedHashSet<>(layers);
        added.removeAll(firstLayers);
        assertThat(added).hasSize(1).containsExactly(layers.getLast());

        assertThat(runImage(unpack(image, "changed").getParent()))
                .contains("\"greeting\":\"hello again from maven-app\"");
    }

    @Test
    @Order(4)
    void theDockerfileGoalBuildsTheProjectsDockerfileWithTheBuildsOutputs() throws Exception {
        String dockerfileImage = registry.host() + "/maven-app-dockerfile:1";
        maven("-Dimage=" + dockerfileImage, "-Dkiln.push=true", "package", "kiln:dockerfile");
        assertThat(runImage(unpack(dockerfileImage, "dockerfile").getParent()))
                .contains("\"args\":[\"from-dockerfile\"]")
                .contains("\"state\":\"dockerfile\"")
                .contains("INFO com.example.hello.HelloService - started");
    }

    /** Runs the nested build in the sample project; fails with its log when it fails. */
    private static String maven(String... goals) throws Exception {
        Path mvn = Path.of(property("kiln.it.mavenHome"), "bin", "mvn");
        List<String> command = new ArrayList<>(List.of(
                mvn.toString(),
                "-B",
                "-ntp",
                "-s",
                settings.toString(),
                "-Dkiln.version=" + property("kiln.it.version"),
                "-Dbase.image=" + baseImage,
                "-Dimage=" + image,
                "-Dkiln.stateDir=" + state,
                "-Dkiln.stateTimeout=0",
                // the repository the invoker installed this reactor's kiln artifacts into, whatever the outer build
                // was told (CI runs with -Dmaven.repo.local in MAVEN_ARGS, which the nested mvn would read too)
                "-Dmaven.repo.local=" + property("kiln.it.localRepository")));
        command.addAll(List.of(goals));
        Path log = work.resolve(
                "maven-" + (++builds) + "-" + String.join("-", goals).replaceAll("[^A-Za-z0-9.-]", "_") + ".log");
        ProcessBuilder builder =
                new ProcessBuilder(command).directory(sample.toFile()).redirectErrorStream(true);
        builder.redirectOutput(log.toFile());
        builder.environment()
                .put("MAVEN_OPTS", "--enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow");
        builder.environment().remove("MAVEN_ARGS");
        Process process = builder.start();
        if (!process.waitFor(10, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new AssertionError("the nested Maven build did not finish in 10 minutes; its log: " + log);
        }
        String output = Files.readString(log);
        assertThat(process.exitValue())
                .as("mvn %s in %s; its log:%n%s", String.join(" ", goals), sample, output)
                .isZero();
        return output;
    }

    /**
     * settings.xml of the nested build: its local repository is invoker's (the reactor's kiln artifacts), other
     * artifacts come from the outer build's local repository as a file:// repository and then Maven Central; the
     * registry's password is the {@code <server>} of its host.
     */
    private static Path writeSettings(Path file) throws IOException {
        String outer = Path.of(property("kiln.it.outerRepository")).toUri().toString();
        String repository = """
                <id>outer</id><url>%s</url>
                <releases><enabled>true</enabled></releases><snapshots><enabled>false</enabled></snapshots>""".formatted(outer);
        Files.writeString(file, """
                <settings>
                  <localRepository>%s</localRepository>
                  <servers>
                    <server><id>%s</id><username>%s</username><password>%s</password></server>
                  </servers>
                  <profiles>
                    <profile>
                      <id>outer</id>
                      <repositories><repository>%s</repository></repositories>
                      <pluginRepositories><pluginRepository>%s</pluginRepository></pluginRepositories>
                    </profile>
                  </profiles>
                  <activeProfiles><activeProfile>outer</activeProfile></activeProfiles>
                </settings>
                """.formatted(
                        property("kiln.it.localRepository"), registry.host(), USER, PASSWORD, repository, repository));
        return file;
    }

    /**
     * A Java base image: busybox, a jlink'ed runtime of this JDK in /opt/java (java on PATH as /bin/java) and the C
     * libraries its binaries need (ldd's answer), pushed by Kiln's engine.
     */
    private static void pushJavaBase(String name) throws Exception {
        Path rootfs = Files.createDirectories(work.resolve("jre-rootfs"));
        BusyboxRootfs.populate(rootfs);
        Path javaHome = Path.of(System.getProperty("java.home"));
        run(
                List.of(
                        javaHome.resolve("bin/jlink").toString(),
                        "--add-modules",
                        "java.base,java.logging",
                        "--strip-debug",
                        "--no-man-pages",
                        "--no-header-files",
                        "--output",
                        rootfs.resolve("opt/java").toString()),
                work);
        Files.createSymbolicLink(rootfs.resolve("bin/java"), Path.of("/opt/java/bin/java"));
        Set<String> libraries = new LinkedHashSet<>();
        List<Path> binaries;
        try (Stream<Path> files = Files.walk(rootfs.resolve("opt/java"))) {
            binaries = files.filter(p -> p.toString().endsWith(".so") || p.endsWith("bin/java"))
                    .toList();
        }
        for (Path binary : binaries) {
            for (String line : run(List.of("ldd", binary.toString()), work).split("\n")) {
                String[] words = line.strip().split("\\s+");
                for (String word : words) {
                    if (word.startsWith("/") && !word.startsWith(rootfs.toString())) {
                        libraries.add(word);
                    }
                }
            }
        }
        for (String library : libraries) {
            Path target = rootfs.resolve(library.substring(1));
            Files.createDirectories(target.getParent());
            Files.copy(Path.of(library), target, StandardCopyOption.REPLACE_EXISTING);
        }
        State base =
                State.scratch().file(FileAction.copy(State.local("rootfs"), "/", "/", CopyOption.dirContentsOnly()));
        BuildRequest request = new BuildRequest(
                new FrontendSpec.Llb(base.marshal()),
                Map.of(),
                Map.of("rootfs", rootfs),
                List.of(new ExportTarget.Image(List.of(name), true, ImageOptions.defaults())));
        try (Engine engine = Engine.open(new EngineOptions(state, "auto"))) {
            engine.build(
                    request,
                    new BuildSession(
                            UUID.randomUUID().toString(),
                            SessionClient.local(
                                    request.localDirs(),
                                    Map.of(),
                                    Map.of(),
                                    host -> host.equals(registry.host())
                                            ? Optional.of(Credentials.of(USER, PASSWORD))
                                            : Optional.empty())),
                    event -> {});
        }
    }

    private static JsonNode skopeoInspect(String reference, boolean config) throws Exception {
        List<String> command = new ArrayList<>(List.of("skopeo", "inspect", "--tls-verify=false"));
        if (reference.startsWith("docker://")) {
            command.add("--creds=" + USER + ":" + PASSWORD);
        }
        if (config) {
            command.add("--config");
        }
        command.add(reference);
        return JSON.readTree(run(command, work));
    }

    private static List<String> layers(JsonNode inspect) {
        List<String> layers = new ArrayList<>();
        inspect.path("Layers").forEach(layer -> layers.add(layer.asText()));
        return layers;
    }

    /** Pulls the image with skopeo and unpacks it with umoci into a bundle; returns the bundle's rootfs. */
    private static Path unpack(String reference, String name) throws Exception {
        Path layout = work.resolve("oci-" + name);
        Path bundle = work.resolve("bundle-" + name);
        run(
                List.of(
                        "skopeo",
                        "copy",
                        "--src-tls-verify=false",
                        "--src-creds=" + USER + ":" + PASSWORD,
                        "docker://" + reference,
                        "oci:" + layout + ":app"),
                work);
        run(List.of("umoci", "unpack", "--image", layout + ":app", bundle.toString()), work);
        return bundle.resolve("rootfs");
    }

    /** Runs the bundle's process (the image's entrypoint, cmd, env and working directory) with runc; its output. */
    private static String runImage(Path bundle) throws Exception {
        Path configFile = bundle.resolve("config.json");
        ObjectNode config = (ObjectNode) JSON.readTree(configFile.toFile());
        ((ObjectNode) config.path("process")).put("terminal", false);
        JSON.writeValue(configFile.toFile(), config);
        return run(List.of("runc", "run", "--bundle", bundle.toString(), "kiln-maven-it-" + UUID.randomUUID()), work);
    }

    private static String run(List<String> command, Path dir) throws Exception {
        Path out = Files.createTempFile(work, "out-", ".txt");
        Process process = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(out.toFile())
                .start();
        if (!process.waitFor(5, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new AssertionError(command + " did not finish in 5 minutes");
        }
        String output = Files.readString(out, StandardCharsets.UTF_8);
        Files.delete(out);
        assertThat(process.exitValue())
                .as("%s; its output:%n%s", command, output)
                .isZero();
        return output;
    }

    private static Path copySample(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path file : files.toList()) {
                Path relative = from.relativize(file);
                if (relative.startsWith("target")) {
                    continue;
                }
                Path target = to.resolve(relative.toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(file, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
        return to;
    }

    private static String property(String name) {
        String value = System.getProperty(name);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException(name + " is not set: run this test through Maven (failsafe sets it)");
        }
        return value;
    }
}
