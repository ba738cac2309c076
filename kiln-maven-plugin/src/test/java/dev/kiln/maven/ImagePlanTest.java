package dev.kiln.maven;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The configuration as a user writes it in the POM: Jib's defaults, and errors that name the element at fault. */
class ImagePlanTest {

    @TempDir
    Path project;

    @Test
    void aPushWithoutToImageNamesTheElement() {
        assertThatThrownBy(() -> plan(new ImageParameters.To(), container("com.example.Main"), ImagePlan.Purpose.PUSH))
                .isInstanceOf(ConfigurationError.class)
                .hasMessageStartingWith("<to><image>: missing");
    }

    @Test
    void aMalformedToImageNamesTheElement() {
        assertThatThrownBy(
                        () -> plan(to("Registry/UPPER CASE:1"), container("com.example.Main"), ImagePlan.Purpose.PUSH))
                .isInstanceOf(ConfigurationError.class)
                .hasMessageStartingWith("<to><image>: \"Registry/UPPER CASE:1\" is not an image reference");
    }

    @Test
    void anArchiveOrTheStoreDefaultsTheNameToTheProjects() throws Exception {
        ImagePlan plan = plan(new ImageParameters.To(), container("com.example.Main"), ImagePlan.Purpose.LOCAL);
        assertThat(plan.names()).containsExactly("app:1.0");
    }

    @Test
    void tagsAreMoreNamesOfTheSameRepository() throws Exception {
        ImageParameters.To to = to("127.0.0.1:5000/team/app:1.0");
        to.tags = List.of("latest", "1");
        assertThat(plan(to, container("com.example.Main"), ImagePlan.Purpose.PUSH)
                        .names())
                .containsExactly(
                        "127.0.0.1:5000/team/app:1.0", "127.0.0.1:5000/team/app:latest", "127.0.0.1:5000/team/app:1");
    }

    @Test
    void theEntrypointIsJibs() throws Exception {
        ImageParameters.Container container = container("com.example.Main");
        container.jvmFlags = List.of("-Xmx64m");
        container.args = List.of("serve");
        ImagePlan plan = plan(to("app:1"), container, ImagePlan.Purpose.PUSH);
        assertThat(plan.entrypoint())
                .containsExactly(
                        "java", "-Xmx64m", "-cp", "/app/resources:/app/classes:/app/libs/*", "com.example.Main");
        assertThat(plan.cmd()).containsExactly("serve");
        assertThat(plan.creationTime()).isEqualTo(Instant.EPOCH);
        assertThat(plan.filesTime()).isEqualTo(Instant.ofEpochSecond(1));
        assertThat(plan.ociFormat()).isFalse();
    }

    @Test
    void theMainClassIsFoundWhenOnlyOneClassHasAMainMethod() throws Exception {
        compile(
                "package a; public class Tool { static void helper() {} }",
                "package b; public class Service { public static void main(String[] args) {} }");
        ImagePlan plan = plan(to("app:1"), new ImageParameters.Container(), ImagePlan.Purpose.PUSH);
        assertThat(plan.entrypoint().getLast()).isEqualTo("b.Service");
    }

    @Test
    void noMainClassNamesTheElementAndWhatWasLookedAt() throws Exception {
        compile("package a; public class Tool { static void helper() {} }");
        assertThatThrownBy(() -> plan(to("app:1"), new ImageParameters.Container(), ImagePlan.Purpose.PUSH))
                .isInstanceOf(ConfigurationError.class)
                .hasMessageContaining("<container><mainClass>: not set, and no class in")
                .hasMessageContaining("has a public static void main(String[])");
    }

    @Test
    void twoMainClassesAreNamedInTheError() throws Exception {
        compile(
                "package a; public class One { public static void main(String[] args) {} }",
                "package a; public class Two { public static void main(String[] args) {} }");
        assertThatThrownBy(() -> plan(to("app:1"), new ImageParameters.Container(), ImagePlan.Purpose.PUSH))
                .hasMessage("<container><mainClass>: not set, and several classes have a main method (a.One, a.Two): "
                        + "name one");
    }

    @Test
    void portsTakeJibsForms() throws Exception {
        assertThat(ImagePlan.ports(List.of("8080", "53/udp", "7000-7002")))
                .containsExactly("8080/tcp", "53/udp", "7000/tcp", "7001/tcp", "7002/tcp");
        assertThatThrownBy(() -> ImagePlan.ports(List.of("http")))
                .hasMessage("<container><ports>: \"http\" is not a port (8080, 8080/udp or 7000-7002)");
    }

    @Test
    void aMissingExtraDirectoryNamesTheElementAndThePath() {
        ImageParameters.ExtraDirectories extra = new ImageParameters.ExtraDirectories();
        ImageParameters.ExtraDirectory path = new ImageParameters.ExtraDirectory();
        path.set(new File("src/main/missing"));
        extra.paths = List.of(path);
        assertThatThrownBy(() -> ImagePlan.of(
                        null, to("app:1"), container("a.Main"), extra, List.of(), facts(), ImagePlan.Purpose.PUSH))
                .hasMessage(
                        "<extraDirectories><paths><path>: " + project.resolve("src/main/missing") + " does not exist");
    }

    @Test
    void permissionsAndOwnershipsApplyToTheFilesTheirGlobsMatchInTheImage() throws Exception {
        Path dir = Files.createDirectories(project.resolve("extra/bin"));
        Files.writeString(dir.resolve("run.sh"), "#!/bin/sh\n");
        Files.writeString(dir.resolve("notes.txt"), "notes\n");
        ImageParameters.ExtraDirectories extra = new ImageParameters.ExtraDirectories();
        ImageParameters.ExtraDirectory path = new ImageParameters.ExtraDirectory();
        path.from = new File("extra");
        path.into = "/opt/tool";
        extra.paths = List.of(path);
        ImageParameters.Permission permission = new ImageParameters.Permission();
        permission.file = "/opt/tool/bin/*.sh";
        permission.mode = "755";
        extra.permissions = List.of(permission);
        ImageParameters.Ownership ownership = new ImageParameters.Ownership();
        ownership.file = "/opt/tool/**";
        ownership.owner = "1000:1000";
        extra.ownerships = List.of(ownership);
        ImagePlan plan =
                ImagePlan.of(null, to("app:1"), container("a.Main"), extra, List.of(), facts(), ImagePlan.Purpose.PUSH);
        List<ImagePlan.FileRule> rules = plan.extraDirectories().getFirst().rules();
        assertThat(rules)
                .extracting(ImagePlan.FileRule::target)
                .containsExactly("/opt/tool/bin/notes.txt", "/opt/tool/bin/run.sh");
        assertThat(rules).extracting(ImagePlan.FileRule::mode).containsExactly(-1, 0755);
        assertThat(rules).allSatisfy(rule -> assertThat(rule.owner()).isNotNull());
    }

    @Test
    void aBadModeNamesTheElement() throws Exception {
        ImageParameters.ExtraDirectories extra = new ImageParameters.ExtraDirectories();
        ImageParameters.Permission permission = new ImageParameters.Permission();
        permission.file = "/x";
        permission.mode = "rwx";
        extra.permissions = List.of(permission);
        assertThatThrownBy(() -> ImagePlan.of(
                        null, to("app:1"), container("a.Main"), extra, List.of(), facts(), ImagePlan.Purpose.PUSH))
                .hasMessage("<extraDirectories><permissions><permission><mode>: \"rwx\" for /x is not an octal mode "
                        + "such as 755");
    }

    @Test
    void outputTimestampIsTheSourceDateEpochAndTheCreationTime() throws Exception {
        ProjectFacts facts = facts(Optional.of("2024-01-01T00:00:00Z"));
        ImagePlan plan =
                ImagePlan.of(null, to("app:1"), container("a.Main"), null, List.of(), facts, ImagePlan.Purpose.PUSH);
        assertThat(plan.sourceDateEpoch()).contains(Instant.parse("2024-01-01T00:00:00Z"));
        assertThat(plan.creationTime()).isEqualTo(Instant.parse("2024-01-01T00:00:00Z"));
        assertThat(ImagePlan.outputTimestamp(Optional.of("1704067200")))
                .contains(Instant.parse("2024-01-01T00:00:00Z"));
        assertThatThrownBy(() -> ImagePlan.outputTimestamp(Optional.of("yesterday")))
                .hasMessageStartingWith("<project.build.outputTimestamp>: \"yesterday\"");
    }

    @Test
    void theDefaultBaseIsTheTemurinJreOfTheProjectsRelease() {
        assertThat(ImagePlan.defaultBase(Optional.of("17"))).isEqualTo("eclipse-temurin:17-jre");
        assertThat(ImagePlan.defaultBase(Optional.of("1.8"))).isEqualTo("eclipse-temurin:8-jre");
        assertThat(ImagePlan.defaultBase(Optional.of("25"))).isEqualTo("eclipse-temurin:25-jre");
    }

    private ImagePlan plan(ImageParameters.To to, ImageParameters.Container container, ImagePlan.Purpose purpose)
            throws Exception {
        return ImagePlan.of(null, to, container, null, List.of(), facts(), purpose);
    }

    private ProjectFacts facts() {
        return facts(Optional.empty());
    }

    /** The facts of a plain project whose project.build.outputTimestamp is {@code outputTimestamp}. */
    private ProjectFacts facts(Optional<String> outputTimestamp) {
        return new ProjectFacts(
                "app",
                "1.0",
                project,
                project.resolve("target"),
                project.resolve("target/classes"),
                List.of(),
                Optional.empty(),
                outputTimestamp,
                Optional.empty());
    }

    private static ImageParameters.To to(String image) {
        ImageParameters.To to = new ImageParameters.To();
        to.image = image;
        return to;
    }

    private static ImageParameters.Container container(String mainClass) {
        ImageParameters.Container container = new ImageParameters.Container();
        container.mainClass = mainClass;
        return container;
    }

    /** Compiles the sources with the JDK's compiler into the project's target/classes. */
    private void compile(String... sources) throws Exception {
        Path src = Files.createDirectories(project.resolve("src"));
        Path classes = Files.createDirectories(project.resolve("target/classes"));
        List<String> args = new java.util.ArrayList<>(List.of("-d", classes.toString()));
        for (int i = 0; i < sources.length; i++) {
            String name = sources[i].replaceAll("(?s).*public class (\\w+).*", "$1");
            Path file = src.resolve(name + ".java");
            Files.writeString(file, sources[i]);
            args.add(file.toString());
        }
        assertThat(ToolProvider.getSystemJavaCompiler().run(null, null, null, args.toArray(String[]::new)))
                .isZero();
    }
}
