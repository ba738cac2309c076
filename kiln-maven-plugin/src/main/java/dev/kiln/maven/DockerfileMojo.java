package dev.kiln.maven;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.plugins.annotations.ResolutionScope;

/**
 * {@code kiln:dockerfile}: builds the project's Dockerfile with Kiln's Dockerfile frontend, the project directory as
 * its context and the Maven build's outputs as the named context {@code maven} (the build directory, with the
 * runtime dependencies gathered under {@code kiln/libs/} and {@code kiln/snapshot-libs/}):
 *
 * <pre>
 * COPY --from=maven kiln/libs/ /app/libs/
 * COPY --from=maven classes/ /app/classes/
 * </pre>
 *
 * The image is pushed to {@code <to><image>} with {@code <push>true}, else kept in Kiln's image store under it
 * (default {@code artifactId:version}).
 */
@Mojo(
        name = "dockerfile",
        defaultPhase = LifecyclePhase.PACKAGE,
        requiresDependencyResolution = ResolutionScope.RUNTIME_PLUS_SYSTEM,
        threadSafe = true)
public final class DockerfileMojo extends AbstractKilnMojo {

    /** The name of the named context that holds the Maven build's outputs. */
    static final String MAVEN_CONTEXT = "maven";

    @Parameter(property = "kiln.dockerfile", defaultValue = "${project.basedir}/Dockerfile")
    private File dockerfile;

    /** The build context ({@code COPY} sources without {@code --from}). */
    @Parameter(property = "kiln.context", defaultValue = "${project.basedir}")
    private File context;

    /** {@code ARG} values. */
    @Parameter
    private Map<String, String> buildArgs = new LinkedHashMap<>();

    /** The stage to build; the last one by default. */
    @Parameter(property = "kiln.target")
    private String target;

    /** Push to {@code <to><image>} instead of keeping the image in Kiln's store. */
    @Parameter(property = "kiln.push", defaultValue = "false")
    private boolean push;

    @Override
    public void execute() throws MojoExecutionException, MojoFailureException {
        if (skip) {
            getLog().info("kiln: skipped (kiln.skip)");
            return;
        }
        if (!dockerfile.isFile()) {
            throw new MojoFailureException("kiln: <dockerfile>: " + dockerfile + " does not exist");
        }
        if (!context.isDirectory()) {
            throw new MojoFailureException("kiln: <context>: " + context + " is not a directory");
        }
        List<String> names = names();
        Path buildDirectory = Path.of(project.getBuild().getDirectory());
        try {
            Files.createDirectories(buildDirectory);
            DependencyDirectories.stage(buildDirectory, facts().dependencies());
        } catch (IOException e) {
            throw new MojoExecutionException("kiln: could not gather the dependencies: " + e.getMessage(), e);
        }
        Map<String, String> opts = new LinkedHashMap<>();
        opts.put("filename", dockerfile.getName());
        opts.put("context:" + MAVEN_CONTEXT, "local:" + MAVEN_CONTEXT);
        if (target != null && !target.isBlank()) {
            opts.put("target", target.strip());
        }
        buildArgs.forEach((key, value) -> opts.put("build-arg:" + key, value == null ? "" : value));
        facts().outputTimestamp().ifPresent(value -> opts.putIfAbsent("build-arg:SOURCE_DATE_EPOCH", epoch(value)));
        String epoch = opts.get("build-arg:SOURCE_DATE_EPOCH");
        Optional<Instant> sourceDateEpoch = epoch == null || epoch.isEmpty()
                ? Optional.empty()
                : Optional.of(Instant.ofEpochSecond(Long.parseLong(epoch)));
        // the frontend's default media types, as before: OCI
        ImageOutput.ImageAttributes image =
                new ImageOutput.ImageAttributes(true, sourceDateEpoch, allowInsecureRegistries);
        Map<String, Path> locals = Map.of(
                "context",
                context.toPath().toAbsolutePath().normalize(),
                "dockerfile",
                dockerfile.toPath().toAbsolutePath().getParent(),
                MAVEN_CONTEXT,
                buildDirectory.toAbsolutePath().normalize());
        GoalBuild build = new GoalBuild(
                new GoalBuild.Frontend.Named("dockerfile.v0"),
                opts,
                locals,
                List.of(ImageOutput.image(names, push, image)));
        String base = names.getFirst();
        BuiltImage built = run(build, base, names);
        reportImage(built, (push ? "pushed " : "stored ") + String.join(", ", names));
    }

    private List<String> names() throws MojoFailureException, MojoExecutionException {
        ImageParameters.To image = to == null ? new ImageParameters.To() : to;
        if (imageOverride != null && !imageOverride.isBlank()) {
            image.image = imageOverride;
        }
        if ((image.image == null || image.image.isBlank()) && push) {
            throw new MojoFailureException("kiln: <to><image>: missing: <push>true needs the image's name");
        }
        String name = image.image == null || image.image.isBlank()
                ? project.getArtifactId().toLowerCase(java.util.Locale.ROOT) + ":" + project.getVersion()
                : image.image.strip();
        try {
            dev.kiln.core.ImageReference reference = dev.kiln.core.ImageReference.parseNormalized(name);
            List<String> names = new java.util.ArrayList<>(List.of(name));
            for (String tag : image.tags) {
                names.add(reference.name() + ":" + tag.strip());
            }
            return names;
        } catch (IllegalArgumentException e) {
            throw new MojoFailureException(
                    "kiln: <to><image>: \"" + name + "\" is not an image reference: " + e.getMessage());
        }
    }

    /** SOURCE_DATE_EPOCH (seconds) of {@code project.build.outputTimestamp}, or "" when it is off. */
    private static String epoch(String outputTimestamp) {
        try {
            return ImagePlan.outputTimestamp(java.util.Optional.of(outputTimestamp))
                    .map(instant -> Long.toString(instant.getEpochSecond()))
                    .orElse("");
        } catch (ConfigurationError e) {
            return "";
        }
    }

    @Override
    protected ImagePlan.Purpose purpose() {
        return push ? ImagePlan.Purpose.PUSH : ImagePlan.Purpose.LOCAL;
    }

    @Override
    protected ImageOutput output(ImagePlan plan, ImageOutput.ImageAttributes image) {
        throw new UnsupportedOperationException("kiln:dockerfile builds its own request");
    }

    @Override
    protected void done(ImagePlan plan, BuiltImage image) {
        throw new UnsupportedOperationException("kiln:dockerfile builds its own request");
    }
}
