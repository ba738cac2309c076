package dev.kiln.maven;

import dev.kiln.api.DaemonEndpoint;
import dev.kiln.core.ImageReference;
import dev.kiln.oci.registry.Credentials;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.maven.artifact.Artifact;
import org.apache.maven.execution.MavenSession;
import org.apache.maven.model.Plugin;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugin.descriptor.PluginDescriptor;
import org.apache.maven.plugins.annotations.Component;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.project.MavenProject;
import org.apache.maven.settings.Server;
import org.apache.maven.settings.crypto.DefaultSettingsDecryptionRequest;
import org.apache.maven.settings.crypto.SettingsDecrypter;
import org.apache.maven.settings.crypto.SettingsDecryptionResult;
import org.codehaus.plexus.util.xml.Xpp3Dom;

/**
 * What the plugin's goals share: the configuration (Jib's element names, see {@link ImageParameters}), the
 * project's facts, the engine's state directory and the registry credentials. A goal makes an {@link ImagePlan},
 * says where the image goes ({@link #output}), and this runs the build: through the Kiln daemon that holds the state
 * when one runs ({@link DaemonRun}), else on the engine embedded in Maven's JVM ({@link EngineRun}).
 */
abstract class AbstractKilnMojo extends AbstractMojo {

    @Parameter(defaultValue = "${project}", readonly = true, required = true)
    protected MavenProject project;

    @Parameter(defaultValue = "${session}", readonly = true, required = true)
    protected MavenSession session;

    @Parameter(defaultValue = "${plugin}", readonly = true, required = true)
    protected PluginDescriptor plugin;

    /** The base image: {@code <image>}, {@code <auth>}, {@code <platforms>}, as Jib's {@code <from>}. */
    @Parameter
    protected ImageParameters.From from;

    /** The image to make: {@code <image>}, {@code <tags>}, {@code <auth>}, as Jib's {@code <to>}. */
    @Parameter
    protected ImageParameters.To to;

    /** How the image runs the application, as Jib's {@code <container>}. */
    @Parameter
    protected ImageParameters.Container container;

    /** Directories copied into the image, with modes and owners per file, as Jib's {@code <extraDirectories>}. */
    @Parameter
    protected ImageParameters.ExtraDirectories extraDirectories;

    /** Shell commands run on the base image (as root unless the base sets a user), before the application. */
    @Parameter
    protected List<String> runs;

    /** {@code -Dimage=...} overrides {@code <to><image>}, as with Jib. */
    @Parameter(property = "image")
    protected String imageOverride;

    /** {@code -Dkiln.from.image=...} overrides {@code <from><image>}. */
    @Parameter(property = "kiln.from.image")
    protected String fromImageOverride;

    /** Kiln's state directory; Kiln's default (/var/lib/kiln for root, ~/.local/share/kiln, $KILN_STATE) if unset. */
    @Parameter(property = "kiln.stateDir")
    protected File stateDir;

    /** How long to wait for another Kiln process to release the state directory (30m, 90s, 0). */
    @Parameter(property = "kiln.stateTimeout", defaultValue = "30m")
    protected String stateTimeout;

    /** Talk plain HTTP to the registries of {@code <from>} and {@code <to>} (loopback registries always are). */
    @Parameter(property = "allowInsecureRegistries", defaultValue = "false")
    protected boolean allowInsecureRegistries;

    @Parameter(property = "kiln.skip", defaultValue = "false")
    protected boolean skip;

    /**
     * Whether the build goes through the Kiln daemon that holds the state ({@code kiln daemon}, or the one a
     * {@code kiln build} started) when one runs: the daemon keeps its engine, caches and base images warm between
     * builds, and its image store is the one {@code kiln} commands see. {@code false} ({@code -Dkiln.daemon=false})
     * always runs the engine embedded in Maven's JVM, which needs no daemon but cannot open a state that a daemon
     * holds: the goal then fails naming the daemon. Either way the same configuration makes the same image.
     */
    @Parameter(property = "kiln.daemon", defaultValue = "true")
    protected boolean daemon;

    /**
     * Whether a build through a daemon on this host, run by this user, may hand the daemon the project's directories
     * and archives by path, rather than sending them through the session; only when the daemon's own registry
     * credentials are the plugin's (none from the POM or a registry's settings.xml server). For diagnosis.
     */
    @Parameter(property = "kiln.daemon.direct", defaultValue = "true")
    protected boolean daemonDirect;

    @Component
    protected SettingsDecrypter settingsDecrypter;

    /** Where the built image goes. */
    protected abstract ImageOutput output(ImagePlan plan, ImageOutput.ImageAttributes image)
            throws MojoExecutionException;

    /** Whether the image needs {@code <to><image>} (a push) or may default it to the project's name. */
    protected abstract ImagePlan.Purpose purpose();

    /** What to tell the user once the image is where it goes. */
    protected abstract void done(ImagePlan plan, BuiltImage image) throws MojoExecutionException;

    @Override
    public void execute() throws MojoExecutionException, MojoFailureException {
        if (skip) {
            getLog().info("kiln: skipped (kiln.skip)");
            return;
        }
        if ("pom".equals(project.getPackaging())) {
            getLog().info("kiln: skipped: a pom project has no application to put in an image");
            return;
        }
        ImagePlan plan = plan();
        DependencyDirectories dependencies;
        try {
            dependencies =
                    DependencyDirectories.stage(Path.of(project.getBuild().getDirectory()), facts().dependencies());
        } catch (IOException e) {
            throw new MojoExecutionException("kiln: could not gather the dependencies: " + e.getMessage(), e);
        }
        JavaImageBuild build = new JavaImageBuild(
                plan,
                dependencies,
                Path.of(project.getBuild().getOutputDirectory()),
                "kiln-maven-plugin:" + plugin.getVersion());
        GoalBuild goal = new GoalBuild(
                new GoalBuild.Frontend.Function("kiln-maven-plugin", build),
                Map.of(),
                build.localDirs(),
                List.of(output(plan, imageAttributes(plan))));
        done(plan, run(goal, plan.baseImage(), plan.names()));
    }

    /** The configuration, checked; a bad element fails the build naming it. */
    protected ImagePlan plan() throws MojoFailureException, MojoExecutionException {
        ImageParameters.From base = from == null ? new ImageParameters.From() : from;
        if (fromImageOverride != null && !fromImageOverride.isBlank()) {
            base.image = fromImageOverride;
        }
        ImageParameters.To target = to == null ? new ImageParameters.To() : to;
        if (imageOverride != null && !imageOverride.isBlank()) {
            target.image = imageOverride;
        }
        try {
            return ImagePlan.of(base, target, container, extraDirectories, runs, facts(), purpose());
        } catch (ConfigurationError e) {
            throw new MojoFailureException("kiln: " + e.getMessage());
        } catch (IOException e) {
            throw new MojoExecutionException("kiln: " + e.getMessage(), e);
        }
    }

    protected ImageOutput.ImageAttributes imageAttributes(ImagePlan plan) {
        return new ImageOutput.ImageAttributes(plan.ociFormat(), plan.sourceDateEpoch(), allowInsecureRegistries);
    }

    /**
     * Runs {@code build}, which pulls {@code baseImage} and makes {@code names}: through the daemon of the state when
     * one runs and {@code <daemon>} allows, else on the embedded engine.
     */
    protected BuiltImage run(GoalBuild build, String baseImage, List<String> names)
            throws MojoExecutionException, MojoFailureException {
        EngineRun embedded = engine(baseImage, names);
        if (daemon) {
            Optional<DaemonEndpoint> running;
            try {
                running = DaemonEndpoint.running(embedded.stateDir());
            } catch (IOException e) {
                running =
                        Optional.empty(); // an unreadable record: the engine's own lock tells whether the state is free
            }
            if (running.isPresent()) {
                if (allowInsecureRegistries) {
                    getLog().warn("kiln: <allowInsecureRegistries> applies to the images the daemon pushes; the base "
                            + "image is pulled with the daemon's own settings (kiln daemon --config)");
                }
                return new DaemonRun(running.get(), embedded.stateDir(), daemonDirect, getLog())
                        .run(build, credentials());
            }
        }
        return embedded.run(build, credentials());
    }

    protected EngineRun engine(String baseImage, List<String> names) throws MojoFailureException {
        Set<String> insecure = new LinkedHashSet<>();
        if (allowInsecureRegistries) {
            List<String> images = new ArrayList<>(names);
            images.add(baseImage);
            for (String image : images) {
                insecure.add(ImageReference.parseNormalized(image).domain());
            }
        }
        return new EngineRun(stateDir == null ? null : stateDir.toPath(), insecure, duration(stateTimeout), getLog());
    }

    /** The project as {@link ImagePlan} needs it. */
    protected ProjectFacts facts() {
        List<ProjectFacts.Dependency> dependencies = new ArrayList<>();
        for (Artifact artifact : project.getArtifacts()) {
            if (!artifact.getArtifactHandler().isAddedToClasspath()) {
                continue;
            }
            String scope = artifact.getScope();
            if (Artifact.SCOPE_TEST.equals(scope) || Artifact.SCOPE_PROVIDED.equals(scope)) {
                continue;
            }
            dependencies.add(new ProjectFacts.Dependency(
                    artifact.getGroupId(),
                    artifact.getArtifactId(),
                    artifact.getVersion(),
                    artifact.getFile() == null ? null : artifact.getFile().toPath(),
                    artifact.isSnapshot()));
        }
        var properties = project.getProperties();
        String release =
                properties.getProperty("maven.compiler.release", properties.getProperty("maven.compiler.target"));
        return new ProjectFacts(
                project.getArtifactId(),
                project.getVersion(),
                project.getBasedir().toPath(),
                Path.of(project.getBuild().getDirectory()),
                Path.of(project.getBuild().getOutputDirectory()),
                dependencies,
                jarMainClass(),
                Optional.ofNullable(properties.getProperty("project.build.outputTimestamp")),
                Optional.ofNullable(release));
    }

    /** maven-jar-plugin's {@code <archive><manifest><mainClass>}, as Jib reads it. */
    private Optional<String> jarMainClass() {
        Plugin jar = project.getBuild().getPluginsAsMap().get("org.apache.maven.plugins:maven-jar-plugin");
        if (jar == null || !(jar.getConfiguration() instanceof Xpp3Dom configuration)) {
            return Optional.empty();
        }
        Xpp3Dom archive = configuration.getChild("archive");
        Xpp3Dom manifest = archive == null ? null : archive.getChild("manifest");
        Xpp3Dom mainClass = manifest == null ? null : manifest.getChild("mainClass");
        return mainClass == null
                        || mainClass.getValue() == null
                        || mainClass.getValue().isBlank()
                ? Optional.empty()
                : Optional.of(mainClass.getValue().strip());
    }

    /** {@code <auth>} of the POM, then settings.xml servers (decrypted), then docker's config. */
    protected RegistryCredentials credentials() throws MojoFailureException {
        Map<String, Credentials> explicit = new LinkedHashMap<>();
        auth("<from><auth>", from == null ? null : from.auth, from == null ? null : from.image, explicit);
        auth("<to><auth>", to == null ? null : to.auth, to == null ? null : to.image, explicit);
        Map<String, Credentials> servers = new LinkedHashMap<>();
        for (Server server : session.getSettings().getServers()) {
            Server decrypted = server;
            if (settingsDecrypter != null) {
                SettingsDecryptionResult result =
                        settingsDecrypter.decrypt(new DefaultSettingsDecryptionRequest(server));
                if (result.getServer() != null) {
                    decrypted = result.getServer();
                }
            }
            if (decrypted.getUsername() != null && decrypted.getPassword() != null) {
                servers.put(
                        decrypted.getId(),
                        new Credentials(
                                decrypted.getUsername(),
                                decrypted.getPassword(),
                                "settings.xml server " + decrypted.getId()));
            }
        }
        return new RegistryCredentials(explicit, servers, RegistryCredentials.dockerConfig());
    }

    private static void auth(String element, ImageParameters.Auth auth, String image, Map<String, Credentials> into)
            throws MojoFailureException {
        if (auth == null || (auth.username == null && auth.password == null)) {
            return;
        }
        if (auth.username == null || auth.password == null) {
            throw new MojoFailureException("kiln: " + element + ": needs both <username> and <password>");
        }
        if (image == null || image.isBlank()) {
            return;
        }
        into.put(
                ImageReference.parseNormalized(image.strip()).domain(),
                new Credentials(auth.username, auth.password, "the POM's " + element));
    }

    /** "30m", "90s", "1h", "0" or a number of seconds. */
    static Duration duration(String text) throws MojoFailureException {
        String value = text == null ? "" : text.strip();
        try {
            if (value.matches("\\d+")) {
                return Duration.ofSeconds(Long.parseLong(value));
            }
            if (value.matches("\\d+[smh]")) {
                long amount = Long.parseLong(value.substring(0, value.length() - 1));
                return switch (value.charAt(value.length() - 1)) {
                    case 's' -> Duration.ofSeconds(amount);
                    case 'm' -> Duration.ofMinutes(amount);
                    default -> Duration.ofHours(amount);
                };
            }
        } catch (NumberFormatException e) {
            // falls through to the message below
        }
        throw new MojoFailureException(
                "kiln: <stateTimeout>: \"" + text + "\" is not a duration such as 30m, 90s or 0");
    }

    /** Writes {@code text} to {@code target/NAME}, as Jib writes jib-image.digest. */
    protected void writeOutput(String name, String text) throws MojoExecutionException {
        Path file = Path.of(project.getBuild().getDirectory(), name);
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new MojoExecutionException("kiln: could not write " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes the built image's digest to {@code target/kiln-image.digest} and tells the user {@code what} happened,
     * followed by that digest.
     */
    protected void reportImage(BuiltImage image, String what) throws MojoExecutionException {
        String digest = image.digest().orElse("");
        writeOutput("kiln-image.digest", digest);
        getLog().info("kiln: " + what + (digest.isEmpty() ? "" : " (" + digest + ")"));
    }
}
