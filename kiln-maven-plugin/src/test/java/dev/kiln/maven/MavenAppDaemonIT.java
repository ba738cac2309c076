package dev.kiln.maven;

import static dev.kiln.maven.SampleProject.layers;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.oci.testing.LocalRegistry;
import dev.kiln.oci.testing.Resources;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * kiln-maven-plugin's goals through a real {@code kiln daemon} ({@link KilnDaemonProcess}) that holds the state the
 * nested builds name: the same sample and configuration as {@link MavenAppIT}, first built on the embedded engine
 * (on a state of its own) for the digests the daemon's builds must match, then each goal through the daemon, with
 * the registry's password from settings.xml served through the plugin's session.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MavenAppDaemonIT {

    private static SampleProject project;
    private static KilnDaemonProcess daemon;
    private static Path daemonState;

    /** What the embedded engine made of the same configuration. */
    private static String embeddedDigest;

    private static List<String> embeddedLayers;
    private static String embeddedOciDigest;
    private static String embeddedDockerDigest;
    private static String embeddedDockerfileDigest;

    @BeforeAll
    static void setUp() throws Exception {
        project = SampleProject.start(Path.of("target/it-daemon"));
        project.maven(
                "-Dkiln.daemon=false",
                "-Dkiln.archiveFormat=oci",
                "-Dkiln.outputFile=target/embedded-oci.tar",
                "package",
                "kiln:build",
                "kiln:tar");
        embeddedDigest = project.pushedDigest(project.image);
        embeddedLayers = layers(project.skopeoInspect("docker://" + project.image, false));
        embeddedOciDigest = digestFile();
        project.maven("-Dkiln.daemon=false", "-Dkiln.outputFile=target/embedded-docker.tar", "kiln:tar");
        embeddedDockerDigest = digestFile();
        project.maven(
                "-Dkiln.daemon=false",
                "-Dimage=" + project.registry.host() + "/maven-app-dockerfile:embedded",
                "-Dkiln.push=true",
                "kiln:dockerfile");
        embeddedDockerfileDigest = digestFile();

        daemonState = project.work.resolve("daemon-state");
        daemon = KilnDaemonProcess.start(daemonState);
    }

    @AfterAll
    static void tearDown() throws Exception {
        Resources.closeAll(daemon, project);
    }

    @Test
    @Order(1)
    void buildAndOciTarThroughTheDaemonMakeTheEmbeddedEnginesImage() throws Exception {
        String image = project.registry.host() + "/maven-app-daemon:1";
        String log = daemonBuild(
                "-Dimage=" + image,
                "-Dkiln.archiveFormat=oci",
                "-Dkiln.outputFile=target/daemon-oci.tar",
                "package",
                "kiln:build",
                "kiln:tar");
        assertThat(log)
                .contains("kiln: building through the Kiln daemon of " + daemonState + " (pid " + daemon.pid()
                        + "; the project's files and credentials through a session)")
                .containsPattern("kiln: DONE [0-9.]+s RUN mkdir -p /var/lib/maven-app")
                .containsPattern("kiln: DONE [0-9.]+s \\[kiln\\] classes -> /app/classes/")
                .contains("kiln: pushed " + image + " (" + embeddedDigest + ")");
        assertThat(project.pushedDigest(image)).isEqualTo(embeddedDigest);
        assertThat(layers(project.skopeoInspect("docker://" + image, false))).isEqualTo(embeddedLayers);

        assertThat(digestFile()).isEqualTo(embeddedOciDigest);
        List<String> archived =
                layers(project.skopeoInspect("oci-archive:" + project.sample.resolve("target/daemon-oci.tar"), false));
        assertThat(archived)
                .isEqualTo(layers(project.skopeoInspect(
                        "oci-archive:" + project.sample.resolve("target/embedded-oci.tar"), false)))
                .hasSize(8);

        assertThat(project.runImage(project.unpack(image, "daemon").getParent()))
                .contains("\"greeting\":\"hello from maven-app\"")
                .contains("INFO com.example.hello.HelloService - started");
    }

    @Test
    @Order(2)
    void dockerTarThroughTheDaemonIsTheEmbeddedEnginesArchive() throws Exception {
        daemonBuild("-Dkiln.outputFile=target/daemon-docker.tar", "kiln:tar");
        assertThat(digestFile()).isEqualTo(embeddedDockerDigest);
        assertThat(layers(project.skopeoInspect(
                        "docker-archive:" + project.sample.resolve("target/daemon-docker.tar"), false)))
                .isEqualTo(layers(project.skopeoInspect(
                        "docker-archive:" + project.sample.resolve("target/embedded-docker.tar"), false)));
    }

    @Test
    @Order(3)
    void storeKeepsTheImageInTheDaemonsImageStore() throws Exception {
        String log = daemonBuild("-Dimage=maven-app-store:1", "kiln:store");
        assertThat(log).contains("kiln: stored maven-app-store:1 in Kiln's image store (" + embeddedDigest + ")");
        assertThat(digestFile()).isEqualTo(embeddedDigest);
        // the daemon's store names the image by the pushed image's manifest
        List<String> records = new ArrayList<>();
        try (Stream<Path> names = Files.list(daemonState.resolve("worker/images/names"))) {
            for (Path name : names.toList()) {
                records.add(Files.readString(name));
            }
        }
        assertThat(records)
                .anySatisfy(record ->
                        assertThat(record).contains("maven-app-store:1").contains(embeddedDigest));
    }

    @Test
    @Order(4)
    void dockerfileThroughTheDaemonIsTheEmbeddedEnginesImage() throws Exception {
        String image = project.registry.host() + "/maven-app-dockerfile:daemon";
        daemonBuild("-Dimage=" + image, "-Dkiln.push=true", "kiln:dockerfile");
        assertThat(digestFile()).isEqualTo(embeddedDockerfileDigest);
        assertThat(project.pushedDigest(image)).isEqualTo(embeddedDockerfileDigest);
        assertThat(project.runImage(project.unpack(image, "dockerfile-daemon").getParent()))
                .contains("\"args\":[\"from-dockerfile\"]")
                .contains("\"state\":\"dockerfile\"");
    }

    @Test
    @Order(5)
    void aClassOnlyChangeThroughTheDaemonPushesExactlyOneNewLayer() throws Exception {
        String image = project.registry.host() + "/maven-app-daemon:1";
        List<String> before = layers(project.skopeoInspect("docker://" + image, false));
        Path greeting = project.sample.resolve("src/main/java/com/example/hello/Greeting.java");
        String source = Files.readString(greeting);
        try {
            Files.writeString(greeting, source.replace("hello from maven-app", "hello again from maven-app"));
            String log = daemonBuild("-Dimage=" + image, "package", "kiln:build");
            assertThat(log).contains("CACHED RUN mkdir -p /var/lib/maven-app");
            List<String> after = layers(project.skopeoInspect("docker://" + image, false));
            assertThat(after.subList(0, after.size() - 1)).isEqualTo(before.subList(0, before.size() - 1));
            Set<String> added = new LinkedHashSet<>(after);
            added.removeAll(before);
            assertThat(added).containsExactly(after.getLast());
        } finally {
            Files.writeString(greeting, source);
        }
    }

    @Test
    @Order(6)
    void aFailingRunFailsTheMavenBuildWithTheStepsErrorAsOnTheEmbeddedEngine() throws Exception {
        Path pom = project.sample.resolve("pom.xml");
        String original = Files.readString(pom);
        String run = "mkdir -p /var/lib/maven-app &amp;&amp; echo ready &gt; /var/lib/maven-app/state";
        assertThat(original).contains(run);
        try {
            Files.writeString(pom, original.replace(run, "echo the step broke &gt;&amp;2; exit 3"));
            SampleProject.NestedBuild viaDaemon =
                    project.mavenMayFail("-Dkiln.stateDir=" + daemonState, "package", "kiln:build");
            SampleProject.NestedBuild embedded = project.mavenMayFail("-Dkiln.daemon=false", "package", "kiln:build");
            assertThat(viaDaemon.exitCode()).isNotZero();
            assertThat(embedded.exitCode()).isNotZero();
            assertThat(viaDaemon.log())
                    .contains("kiln: RUN echo the step broke >&2; exit 3 | the step broke")
                    .contains("kiln: FAILED RUN echo the step broke >&2; exit 3");
            assertThat(failure(viaDaemon.log())).contains("exit code: 3").isEqualTo(failure(embedded.log()));
        } finally {
            Files.writeString(pom, original);
        }
    }

    @Test
    @Order(7)
    void theEmbeddedEngineForcedOnTheDaemonsStateFailsNamingTheDaemon() throws Exception {
        SampleProject.NestedBuild forced =
                project.mavenMayFail("-Dkiln.stateDir=" + daemonState, "-Dkiln.daemon=false", "kiln:tar");
        assertThat(forced.exitCode()).isNotZero();
        assertThat(forced.log())
                .contains("kiln: a Kiln daemon (pid " + daemon.pid())
                .contains("holds the state " + daemonState)
                .contains("kiln daemon stop");
    }

    @Test
    @Order(8)
    void withoutCredentialsOfItsOwnThePluginHandsTheDaemonItsFilesByPath() throws Exception {
        // an open registry with the same base: the daemon needs no credentials, so none need to cross a session
        try (LocalRegistry open = LocalRegistry.anonymous().start()) {
            String base = open.host() + "/jre:25";
            project.run(
                    List.of(
                            "skopeo",
                            "copy",
                            "--src-tls-verify=false",
                            "--dest-tls-verify=false",
                            "--src-creds=" + SampleProject.USER + ":" + SampleProject.PASSWORD,
                            "docker://" + project.baseImage,
                            "docker://" + base),
                    project.work);
            Path settings = project.writeSettings(project.work.resolve("settings-no-server.xml"), false);
            String log = project.maven(
                    settings,
                    "-Dkiln.stateDir=" + daemonState,
                    "-Dbase.image=" + base,
                    "-Dkiln.outputFile=target/direct-docker.tar",
                    "kiln:tar");
            assertThat(log).contains("pid " + daemon.pid() + "; the project's files by path)");
            assertThat(project.sample.resolve("target/direct-docker.tar")).isNotEmptyFile();
            assertThat(layers(project.skopeoInspect(
                            "docker-archive:" + project.sample.resolve("target/direct-docker.tar"), false)))
                    .isEqualTo(layers(project.skopeoInspect(
                            "docker-archive:" + project.sample.resolve("target/embedded-docker.tar"), false)));
        }
    }

    private static String daemonBuild(String... goals) throws Exception {
        List<String> args = new ArrayList<>(List.of("-Dkiln.stateDir=" + daemonState));
        args.addAll(List.of(goals));
        return project.maven(args.toArray(String[]::new));
    }

    private static String digestFile() throws Exception {
        return Files.readString(project.sample.resolve("target/kiln-image.digest"));
    }

    /** The goal's failure as Maven prints it. */
    private static String failure(String log) {
        Matcher failed =
                Pattern.compile("kiln: the image build failed: [^\\n]*").matcher(log);
        assertThat(failed.find()).as("a failure in the log:%n%s", log).isTrue();
        return failed.group();
    }
}
