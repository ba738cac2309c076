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
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A copy of {@code examples/maven-app} and what its nested Maven builds need: the Maven running this build with the
 * plugin that maven-invoker-plugin installed into {@code target/local-repo}, a registry on 127.0.0.1 that wants a
 * password (which the nested builds' settings.xml gives as the {@code <server>} of the registry's host), and a Java
 * base image in it: busybox and a jlink'ed runtime of this JDK with the C libraries it needs, pushed by Kiln's
 * engine. Pushed images are read with skopeo, unpacked with umoci and their java command run with runc, with the
 * image's config.
 */
final class SampleProject implements AutoCloseable {

    static final String USER = "kiln";
    static final String PASSWORD = "maven-it-secret";
    static final ObjectMapper JSON = new ObjectMapper();

    final LocalRegistry registry;
    /** Everything of the test's: the sample, logs, bundles. */
    final Path work;
    /** The copy of the sample the builds run in. */
    final Path sample;
    /** The state the base image was pushed with, and the nested builds' unless they say otherwise. */
    final Path state;

    final Path settings;
    final String baseImage;
    final String image;

    /** Numbers the nested builds' logs. */
    private int builds;

    private SampleProject(LocalRegistry registry, Path work) throws Exception {
        this.registry = registry;
        this.work = work;
        this.state = work.resolve("state");
        this.sample = copySample(Path.of(property("kiln.it.sample")), work.resolve("maven-app"));
        this.settings = writeSettings(work.resolve("settings.xml"));
        this.baseImage = registry.host() + "/jre:25";
        this.image = registry.host() + "/maven-app:1";
        pushJavaBase(baseImage);
    }

    /** A fresh copy of the sample under {@code dir} (made empty first), its registry started and base image pushed. */
    static SampleProject start(Path dir) throws Exception {
        LocalRegistry registry = LocalRegistry.withBasicAuth(USER, PASSWORD).start();
        try {
            Path work = dir.toAbsolutePath();
            if (Files.exists(work)) {
                dev.kiln.core.Trees.deleteRecursively(work);
            }
            Files.createDirectories(work);
            return new SampleProject(registry, work);
        } catch (Exception e) {
            registry.close();
            throw e;
        }
    }

    @Override
    public void close() throws IOException {
        registry.close();
    }

    /** Runs a nested build in the sample project; fails with its log when it fails. */
    String maven(String... goals) throws Exception {
        return maven(settings, goals);
    }

    /** As {@link #maven(String...)}, with another settings.xml. */
    String maven(Path settings, String... goals) throws Exception {
        NestedBuild build = mavenMayFail(settings, goals);
        assertThat(build.exitCode())
                .as("mvn %s in %s; its log:%n%s", String.join(" ", goals), sample, build.log())
                .isZero();
        return build.log();
    }

    /** A nested build's exit code and log. */
    record NestedBuild(int exitCode, String log) {}

    /** Runs a nested build in the sample project, whether it succeeds or not. */
    NestedBuild mavenMayFail(String... goals) throws Exception {
        return mavenMayFail(settings, goals);
    }

    private NestedBuild mavenMayFail(Path settings, String... goals) throws Exception {
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
        // later flags win: a test's own -Dimage or -Dkiln.stateDir overrides the defaults above
        command.addAll(List.of(goals));
        Path log = work.resolve(
                "maven-" + (++builds) + "-" + String.join("-", goals).replaceAll("[^A-Za-z0-9.-]", "_") + ".log");
        if (log.getFileName().toString().length() > 200) {
            log = work.resolve("maven-" + builds + ".log");
        }
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
        return new NestedBuild(process.exitValue(), Files.readString(log));
    }

    /**
     * settings.xml of the nested build: its local repository is invoker's (the reactor's kiln artifacts), other
     * artifacts come from the outer build's local repository as a file:// repository and then Maven Central; the
     * registry's password is the {@code <server>} of its host.
     */
    private Path writeSettings(Path file) throws IOException {
        return writeSettings(file, true);
    }

    /** The nested builds' settings.xml, with the registry's {@code <server>} or without. */
    Path writeSettings(Path file, boolean registryServer) throws IOException {
        String outer = Path.of(property("kiln.it.outerRepository")).toUri().toString();
        String repository = """
                <id>outer</id><url>%s</url>
                <releases><enabled>true</enabled></releases><snapshots><enabled>false</enabled></snapshots>""".formatted(outer);
        Files.writeString(file, """
                <settings>
                  <localRepository>%s</localRepository>
                  <servers>%s</servers>
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
                        property("kiln.it.localRepository"),
                        registryServer
                                ? "<server><id>%s</id><username>%s</username><password>%s</password></server>"
                                        .formatted(registry.host(), USER, PASSWORD)
                                : "",
                        repository,
                        repository));
        return file;
    }

    /**
     * A Java base image: busybox, a jlink'ed runtime of this JDK in /opt/java (java on PATH as /bin/java) and the C
     * libraries its binaries need (ldd's answer), pushed by Kiln's engine.
     */
    private void pushJavaBase(String name) throws Exception {
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

    JsonNode skopeoInspect(String reference, boolean config) throws Exception {
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

    static List<String> layers(JsonNode inspect) {
        List<String> layers = new ArrayList<>();
        inspect.path("Layers").forEach(layer -> layers.add(layer.asText()));
        return layers;
    }

    /** The digest of the image at {@code reference} in the registry. */
    String pushedDigest(String reference) throws Exception {
        return skopeoInspect("docker://" + reference, false).path("Digest").asText();
    }

    /** Pulls the image with skopeo and unpacks it with umoci into a bundle; returns the bundle's rootfs. */
    Path unpack(String reference, String name) throws Exception {
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
    String runImage(Path bundle) throws Exception {
        Path configFile = bundle.resolve("config.json");
        ObjectNode config = (ObjectNode) JSON.readTree(configFile.toFile());
        ((ObjectNode) config.path("process")).put("terminal", false);
        JSON.writeValue(configFile.toFile(), config);
        return run(List.of("runc", "run", "--bundle", bundle.toString(), "kiln-maven-it-" + UUID.randomUUID()), work);
    }

    String run(List<String> command, Path dir) throws Exception {
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

    static String property(String name) {
        String value = System.getProperty(name);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException(name + " is not set: run this test through Maven (failsafe sets it)");
        }
        return value;
    }
}
