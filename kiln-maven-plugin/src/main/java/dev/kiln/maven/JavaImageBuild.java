package dev.kiln.maven;

import dev.kiln.core.ImageReference;
import dev.kiln.core.Platform;
import dev.kiln.gateway.BuildFunction;
import dev.kiln.gateway.Client;
import dev.kiln.gateway.GatewayException;
import dev.kiln.gateway.Reference;
import dev.kiln.gateway.ResolveImageConfigOpt;
import dev.kiln.gateway.ResolvedImageConfig;
import dev.kiln.gateway.Result;
import dev.kiln.gateway.SolveRequest;
import dev.kiln.llb.CopyOption;
import dev.kiln.llb.CreatedAt;
import dev.kiln.llb.FileAction;
import dev.kiln.llb.FileActions;
import dev.kiln.llb.LocalOption;
import dev.kiln.llb.MarshalOptions;
import dev.kiln.llb.OpOption;
import dev.kiln.llb.Owner;
import dev.kiln.llb.PlatformWire;
import dev.kiln.llb.RunOption;
import dev.kiln.llb.State;
import dev.kiln.oci.ContainerConfig;
import dev.kiln.oci.History;
import dev.kiln.oci.ImageConfig;
import dev.kiln.oci.OciFormatException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The image of a Java project as a build function: the base image, the {@code <runs>} steps on it, then the
 * application's layers made directly as LLB (each a copy from a local source): release dependencies, snapshot
 * dependencies, extra directories, resources, classes. The order puts what changes most last, so a class-only
 * change makes one new small layer and every step below it comes from the cache. The image config is the base's
 * with Jib's entrypoint and the POM's settings, handed to the exporter as {@code containerimage.config}.
 *
 * <p>Local sources it reads, by name: {@link #LIBS}, {@link #SNAPSHOT_LIBS}, {@link #RESOURCES}, {@link #CLASSES}
 * and {@code extra-N} for the N-th extra directory; {@link #localDirs} maps them to the project's directories.
 *
 * @param createdBy what the history entries of the application's layers say made them
 *                  ({@code kiln-maven-plugin:VERSION}, as Jib writes {@code jib-maven-plugin:VERSION})
 */
record JavaImageBuild(ImagePlan plan, DependencyDirectories dependencies, Path classesDirectory, String createdBy)
        implements BuildFunction {

    static final String LIBS = "libs";
    static final String SNAPSHOT_LIBS = "snapshot-libs";
    static final String RESOURCES = "resources";
    static final String CLASSES = "classes";
    /** As BuildKit's exporters read them. */
    static final String IMAGE_CONFIG_KEY = "containerimage.config";
    /** The class files of {@code target/classes}; everything else there is a resource (Jib's split). */
    private static final String CLASS_FILES = "**/*.class";

    /** The local directories of the build, by the names its local sources use. */
    Map<String, Path> localDirs() {
        Map<String, Path> dirs = new LinkedHashMap<>();
        dirs.put(LIBS, dependencies.libs());
        dirs.put(SNAPSHOT_LIBS, dependencies.snapshotLibs());
        dirs.put(RESOURCES, classesDirectory);
        dirs.put(CLASSES, classesDirectory);
        List<ImagePlan.ExtraDirectory> extras = plan.extraDirectories();
        for (int i = 0; i < extras.size(); i++) {
            dirs.put("extra-" + i, extras.get(i).from());
        }
        return dirs;
    }

    @Override
    public Result build(Client client) throws InterruptedException {
        if (plan.platforms().isEmpty()) {
            Image image = image(client, null);
            Result solved = client.solve(SolveRequest.of(image.state().marshal()));
            Reference ref = solved.ref().orElseThrow(() -> new GatewayException("the image's build has no result"));
            return Result.of(ref).withMetadata(IMAGE_CONFIG_KEY, image.config().toDockerOciImageJson());
        }
        Result result = Result.empty();
        Map<String, Platform> built = new LinkedHashMap<>();
        for (Platform platform : plan.platforms()) {
            Image image = image(client, platform);
            Result solved = client.solve(SolveRequest.of(
                    image.state().marshal(MarshalOptions.defaults().withDefaultPlatform(platform))));
            String id = id(platform);
            Reference ref = solved.ref()
                    .orElseThrow(() -> new GatewayException("the image's build for " + id + " has no result"));
            result = result.withRef(id, ref)
                    .withMetadata(IMAGE_CONFIG_KEY + "/" + id, image.config().toDockerOciImageJson());
            built.put(id, platform);
        }
        return result.withPlatforms(built);
    }

    /** The filesystem of the image and its config. */
    record Image(State state, ImageConfig config) {}

    /** The graph and config for one platform ({@code null}: the base image's for this machine). */
    Image image(Client client, Platform platform) throws InterruptedException {
        ImageReference reference =
                ImageReference.parseNormalized(plan.baseImage()).withDefaultTag();
        ResolvedImageConfig resolved = client.resolveImageConfig(
                reference.toString(),
                new ResolveImageConfigOpt(
                        platform == null ? null : PlatformWire.toProto(platform),
                        "default",
                        "[kiln] load metadata for " + plan.baseImage(),
                        ResolveImageConfigOpt.ImageStore.REGISTRY));
        ImageConfig base;
        try {
            base = ImageConfig.parse(resolved.config(), "the config of " + plan.baseImage());
        } catch (OciFormatException e) {
            throw new GatewayException("<from><image> " + plan.baseImage() + ": " + e.getMessage(), e);
        }
        if (resolved.digest() != null && reference.digest().isEmpty()) {
            reference = new ImageReference(
                    reference.domain(),
                    reference.path(),
                    reference.tag(),
                    resolved.digest().toString());
        }
        List<OpOption> from = new ArrayList<>();
        from.add(OpOption.customName("FROM " + plan.baseImage()));
        if (platform != null) {
            from.add(OpOption.platform(platform));
        }
        State state = State.image(reference.toString(), from.toArray(OpOption[]::new));
        ContainerConfig baseConfig = base.config();
        for (String variable : baseConfig.env()) {
            int eq = variable.indexOf('=');
            if (eq > 0) {
                state = state.env(variable.substring(0, eq), variable.substring(eq + 1));
            }
        }
        if (!baseConfig.workingDir().isEmpty()) {
            state = state.dir(baseConfig.workingDir());
        }
        if (!baseConfig.user().isEmpty()) {
            state = state.user(baseConfig.user());
        }

        Instant created = plan.creationTime() != null ? plan.creationTime() : Instant.now();
        List<History> history = new ArrayList<>(base.history());
        for (String run : plan.runs()) {
            state = state.run(RunOption.sh(run), OpOption.customName("RUN " + run))
                    .root();
            history.add(History.of(created, "RUN /bin/sh -c " + run, "kiln-maven-plugin <runs>", false));
        }
        CreatedAt filesTime = CreatedAt.of(plan.filesTime());
        Owner root = Owner.ids(0, 0);
        String app = plan.appRoot().equals("/") ? "" : plan.appRoot();
        AppLayers layers = new AppLayers(state, history, created, root, filesTime);
        if (dependencies.hasLibs()) {
            layers.copy(State.local(LIBS), app + "/libs/", "dependencies");
        }
        if (dependencies.hasSnapshotLibs()) {
            layers.copy(State.local(SNAPSHOT_LIBS), app + "/libs/", "snapshot dependencies");
        }
        List<ImagePlan.ExtraDirectory> extras = plan.extraDirectories();
        for (int i = 0; i < extras.size(); i++) {
            layers.state = extraLayers(layers.state, i, extras.get(i), root, filesTime, history, created);
        }
        layers.copy(State.local(RESOURCES, LocalOption.exclude(CLASS_FILES)), app + "/resources/", "resources");
        layers.copy(State.local(CLASSES, LocalOption.include(CLASS_FILES)), app + "/classes/", "classes");
        state = layers.state;

        ImageConfig config = base.withConfig(containerConfig(baseConfig))
                .withHistory(history)
                .withCreated(created);
        if (platform != null) {
            config = config.withPlatform(platform);
        }
        return new Image(state, config);
    }

    /** The application's layers as they are added on the image's state, each with its history entry. */
    private final class AppLayers {
        private State state;
        private final List<History> history;
        private final Instant created;
        private final Owner owner;
        private final CreatedAt time;

        AppLayers(State state, List<History> history, Instant created, Owner owner, CreatedAt time) {
            this.state = state;
            this.history = history;
            this.created = created;
            this.owner = owner;
            this.time = time;
        }

        /** {@code source}'s files copied to {@code dest} as one layer, which the history calls {@code name}. */
        void copy(State source, String dest, String name) {
            state = state.file(
                    FileAction.copy(
                            source, "/", dest, CopyOption.dirContentsOnly(), CopyOption.createDestPath(), owner, time),
                    OpOption.customName("[kiln] " + name + " -> " + dest));
            history.add(History.of(created, createdBy, name, false));
        }
    }

    /**
     * The directory's files with the default mode and root as owner, then one more copy for each distinct mode and
     * owner that {@code <permissions>} and {@code <ownerships>} give files, holding only those files. Each copy is
     * its own layer (Kiln commits every file action), and no file is in two of them.
     */
    private State extraLayers(
            State state,
            int index,
            ImagePlan.ExtraDirectory extra,
            Owner root,
            CreatedAt time,
            List<History> history,
            Instant created) {
        List<LocalOption> options = new ArrayList<>();
        if (!extra.includes().isEmpty()) {
            options.add(LocalOption.include(extra.includes().toArray(String[]::new)));
        }
        if (!extra.excludes().isEmpty()) {
            options.add(LocalOption.exclude(extra.excludes().toArray(String[]::new)));
        }
        State source = State.local("extra-" + index, options.toArray(LocalOption[]::new));
        String into = extra.into().endsWith("/") ? extra.into() : extra.into() + "/";
        Map<String, List<String>> groups = new LinkedHashMap<>();
        Map<String, ImagePlan.FileRule> byGroup = new LinkedHashMap<>();
        for (ImagePlan.FileRule rule : extra.rules()) {
            String key = rule.mode() + " " + rule.owner();
            groups.computeIfAbsent(key, k -> new ArrayList<>()).add(rule.path());
            byGroup.putIfAbsent(key, rule);
        }
        List<CopyOption> all =
                new ArrayList<>(List.of(CopyOption.dirContentsOnly(), CopyOption.createDestPath(), root, time));
        List<String> ruled =
                extra.rules().stream().map(ImagePlan.FileRule::path).toList();
        if (!ruled.isEmpty()) {
            all.add(CopyOption.exclude(ruled.toArray(String[]::new)));
        }
        FileActions actions = FileAction.copy(source, "/", into, all.toArray(CopyOption[]::new));
        history.add(History.of(created, createdBy, "extra files " + extra.into(), false));
        for (Map.Entry<String, List<String>> group : groups.entrySet()) {
            ImagePlan.FileRule rule = byGroup.get(group.getKey());
            List<CopyOption> copy = new ArrayList<>(List.of(
                    CopyOption.dirContentsOnly(),
                    CopyOption.createDestPath(),
                    CopyOption.include(group.getValue().toArray(String[]::new)),
                    rule.owner() != null ? rule.owner() : root,
                    time));
            String what = "extra files " + extra.into();
            if (rule.mode() >= 0) {
                copy.add(CopyOption.mode(rule.mode()));
                what += " mode " + Integer.toOctalString(rule.mode());
            }
            if (rule.owner() != null) {
                what += " owner " + describe(rule.owner());
            }
            actions = actions.copy(source, "/", into, copy.toArray(CopyOption[]::new));
            history.add(History.of(created, createdBy, what, false));
        }
        return state.file(actions, OpOption.customName("[kiln] extra files -> " + extra.into()));
    }

    private static String describe(Owner owner) {
        String user = switch (owner.user()) {
            case Owner.Who.Id id -> Integer.toString(id.id());
            case Owner.Who.Name name -> name.name();
        };
        if (owner.group() == null) {
            return user;
        }
        return user + ":"
                + switch (owner.group()) {
                    case Owner.Who.Id id -> Integer.toString(id.id());
                    case Owner.Who.Name name -> name.name();
                };
    }

    /** The base's container config with the application's entrypoint and the POM's settings over it. */
    private ContainerConfig containerConfig(ContainerConfig base) {
        Map<String, String> env = new LinkedHashMap<>();
        for (String variable : base.env()) {
            int eq = variable.indexOf('=');
            env.put(eq < 0 ? variable : variable.substring(0, eq), eq < 0 ? "" : variable.substring(eq + 1));
        }
        env.putAll(plan.environment());
        List<String> envList = env.entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue())
                .toList();
        Set<String> ports = new LinkedHashSet<>(base.exposedPorts());
        ports.addAll(plan.ports());
        Map<String, String> labels = new TreeMap<>(base.labels());
        labels.putAll(plan.labels());
        ContainerConfig config = base.withEnv(envList)
                .withEntrypoint(plan.entrypoint())
                .withCmd(plan.cmd())
                .withExposedPorts(ports)
                .withLabels(labels);
        if (plan.user() != null) {
            config = config.withUser(plan.user());
        }
        if (plan.workingDirectory() != null) {
            config = config.withWorkingDir(plan.workingDirectory());
        }
        return config;
    }

    static String id(Platform platform) {
        return platform.os() + "/" + platform.architecture()
                + (platform.variant().isEmpty() ? "" : "/" + platform.variant());
    }
}
