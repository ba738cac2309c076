package dev.kiln.maven;

import dev.kiln.core.ImageReference;
import dev.kiln.core.Platform;
import dev.kiln.llb.Owner;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The image to build, checked: the POM's {@link ImageParameters} and the project's {@link ProjectFacts} read into
 * typed values, with Jib's defaults where the POM says nothing. Every error names the element at fault.
 *
 * @param baseImage         {@code <from><image>}
 * @param names             {@code <to><image>} and one name per {@code <to><tags>} entry; the first is the image's
 * @param platforms         {@code <from><platforms>}; empty for the base image's own (this machine's)
 * @param appRoot           where the application goes ({@code /app}, as Jib)
 * @param entrypoint        the image's entrypoint: {@code java <jvmFlags> -cp <appRoot>/resources:... <mainClass>}
 * @param cmd               {@code <container><args>}
 * @param environment       added to the base's environment, replacing a variable of the same name
 * @param ports             exposed ports as the config writes them ({@code 8080/tcp})
 * @param user              the user, or null for the base's
 * @param workingDirectory  the working directory, or null for the base's
 * @param creationTime      the config's created time and every history entry's; null for the time of the build
 * @param filesTime         the modification time of every file of the application's layers
 * @param sourceDateEpoch   SOURCE_DATE_EPOCH from {@code project.build.outputTimestamp}: clamps the times of the new
 *                          layers (RUN steps' too)
 * @param ociFormat         OCI media types ({@code <container><format>OCI}); Docker's by default, as Jib
 * @param runs              {@code <runs>}: shell commands run on the base before the application layers
 * @param extraDirectories  {@code <extraDirectories>} with their per-file modes and owners
 */
public record ImagePlan(
        String baseImage,
        List<String> names,
        List<Platform> platforms,
        String appRoot,
        List<String> entrypoint,
        List<String> cmd,
        Map<String, String> environment,
        Set<String> ports,
        Map<String, String> labels,
        String user,
        String workingDirectory,
        Instant creationTime,
        Instant filesTime,
        Optional<Instant> sourceDateEpoch,
        boolean ociFormat,
        List<String> runs,
        List<ExtraDirectory> extraDirectories) {

    /** Jib's default modification time of the files it adds: a second after the epoch, which tools read as set. */
    public static final Instant EPOCH_PLUS_SECOND = Instant.ofEpochSecond(1);

    public ImagePlan {
        names = List.copyOf(names);
        platforms = List.copyOf(platforms);
        entrypoint = List.copyOf(entrypoint);
        cmd = List.copyOf(cmd);
        environment = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(environment));
        ports = java.util.Collections.unmodifiableSet(new LinkedHashSet<>(ports));
        labels = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(labels));
        runs = List.copyOf(runs);
        extraDirectories = List.copyOf(extraDirectories);
    }

    /**
     * A directory copied into the image.
     *
     * @param rules one per file that a {@code <permission>} or {@code <ownership>} names, by its path in the
     *              directory
     */
    public record ExtraDirectory(
            Path from, String into, List<String> includes, List<String> excludes, List<FileRule> rules) {
        public ExtraDirectory {
            includes = List.copyOf(includes);
            excludes = List.copyOf(excludes);
            rules = List.copyOf(rules);
        }
    }

    /**
     * The mode and owner of one file of an extra directory.
     *
     * @param path      relative to the directory
     * @param mode      permission bits, or -1 to keep the file's
     * @param owner     the owner, or null for root
     */
    public record FileRule(String path, String target, int mode, Owner owner) {}

    /** What kind of output the image is for: a push needs {@code <to><image>}, the others default it. */
    public enum Purpose {
        PUSH,
        LOCAL
    }

    private static final Pattern PORT = Pattern.compile("(\\d+)(?:-(\\d+))?(?:/(tcp|udp|sctp))?");
    private static final Pattern MODE = Pattern.compile("[0-7]{3,4}");

    /**
     * Reads the configuration.
     *
     * @param runs           {@code <runs>}
     * @throws ConfigurationError naming the element at fault
     */
    public static ImagePlan of(
            ImageParameters.From from,
            ImageParameters.To to,
            ImageParameters.Container container,
            ImageParameters.ExtraDirectories extra,
            List<String> runs,
            ProjectFacts project,
            Purpose purpose)
            throws ConfigurationError, IOException {
        from = from == null ? new ImageParameters.From() : from;
        to = to == null ? new ImageParameters.To() : to;
        container = container == null ? new ImageParameters.Container() : container;

        String base = blank(from.image) ? defaultBase(project.javaRelease()) : from.image.strip();
        checkReference("<from><image>", base);
        List<String> names = names(to, project, purpose);
        List<Platform> platforms = platforms(from.platforms);

        String appRoot = blank(container.appRoot) ? "/app" : container.appRoot.strip();
        if (!appRoot.startsWith("/")) {
            throw new ConfigurationError("<container><appRoot>", "\"" + appRoot + "\" is not an absolute path");
        }
        appRoot = appRoot.length() > 1 && appRoot.endsWith("/") ? appRoot.substring(0, appRoot.length() - 1) : appRoot;
        List<String> entrypoint;
        if (container.entrypoint != null && !container.entrypoint.isEmpty()) {
            entrypoint = container.entrypoint;
        } else {
            String mainClass = mainClass(container.mainClass, project);
            List<String> java = new ArrayList<>();
            java.add("java");
            java.addAll(nonNull(container.jvmFlags));
            java.add("-cp");
            java.add(appRoot + "/resources:" + appRoot + "/classes:" + appRoot + "/libs/*");
            java.add(mainClass);
            entrypoint = java;
        }
        Optional<Instant> epoch = outputTimestamp(project.outputTimestamp());
        Instant created = creationTime(container.creationTime, epoch);
        Instant filesTime = filesTime(container.filesModificationTime);
        if (epoch.isPresent() && filesTime.isAfter(epoch.get())) {
            filesTime = epoch.get();
        }
        return new ImagePlan(
                base,
                names,
                platforms,
                appRoot,
                entrypoint,
                container.args == null ? List.of() : container.args,
                environment(container.environment),
                ports(container.ports),
                container.labels == null ? Map.of() : container.labels,
                blank(container.user) ? null : container.user.strip(),
                workingDirectory(container.workingDirectory),
                created,
                filesTime,
                epoch,
                format(container.format),
                runs(runs),
                extraDirectories(extra, project.basedir()));
    }

    /** The image's name without a tag, for messages. */
    public String name() {
        return names.getFirst();
    }

    private static List<String> names(ImageParameters.To to, ProjectFacts project, Purpose purpose)
            throws ConfigurationError {
        String image = to.image;
        if (blank(image)) {
            if (purpose == Purpose.PUSH) {
                throw new ConfigurationError(
                        "<to><image>",
                        "missing: kiln:build pushes the image and needs its name, e.g. "
                                + "<to><image>registry.example.com/team/app:1.0</image></to> or -Dimage=...");
            }
            image = project.artifactId().toLowerCase(java.util.Locale.ROOT) + ":" + project.version();
        }
        image = image.strip();
        ImageReference reference = checkReference("<to><image>", image);
        if (!reference.digest().isEmpty()) {
            throw new ConfigurationError(
                    "<to><image>",
                    "\"" + image + "\" names a digest; name the image by a tag (the digest is the image's own)");
        }
        List<String> names = new ArrayList<>();
        names.add(image);
        for (String tag : nonNull(to.tags)) {
            String name = reference.name() + ":" + (tag == null ? "" : tag.strip());
            checkReference("<to><tags>", name);
            if (!names.contains(name)) {
                names.add(name);
            }
        }
        return names;
    }

    private static ImageReference checkReference(String element, String reference) throws ConfigurationError {
        try {
            return ImageReference.parseNormalized(reference);
        } catch (IllegalArgumentException e) {
            throw new ConfigurationError(element, "\"" + reference + "\" is not an image reference: " + e.getMessage());
        }
    }

    /** Jib's rule: the Temurin JRE of the release the project compiles for (the next LTS up). */
    static String defaultBase(Optional<String> release) {
        int version = 21;
        try {
            String text = release.orElse("21").strip();
            version = Integer.parseInt(text.startsWith("1.") ? text.substring(2) : text);
        } catch (NumberFormatException e) {
            // an unusual value: the default below runs it
        }
        int lts = version <= 8 ? 8 : version <= 11 ? 11 : version <= 17 ? 17 : version <= 21 ? 21 : 25;
        return "eclipse-temurin:" + lts + "-jre";
    }

    private static List<Platform> platforms(List<ImageParameters.PlatformSpec> specs) throws ConfigurationError {
        List<Platform> platforms = new ArrayList<>();
        for (ImageParameters.PlatformSpec spec : nonNull(specs)) {
            if (spec == null || blank(spec.architecture)) {
                throw new ConfigurationError(
                        "<from><platforms><platform><architecture>", "missing (amd64, arm64, ...)");
            }
            String os = blank(spec.os) ? "linux" : spec.os.strip();
            Platform platform = Platform.of(
                            os, spec.architecture.strip(), blank(spec.variant) ? "" : spec.variant.strip())
                    .normalize();
            if (!platforms.contains(platform)) {
                platforms.add(platform);
            }
        }
        return platforms;
    }

    private static String mainClass(String configured, ProjectFacts project) throws ConfigurationError, IOException {
        String name =
                !blank(configured) ? configured.strip() : project.jarMainClass().orElse(null);
        if (name != null) {
            if (!name.matches("[\\p{L}_$][\\p{L}\\p{N}_$]*(\\.[\\p{L}_$][\\p{L}\\p{N}_$]*)*")) {
                throw new ConfigurationError(
                        "<container><mainClass>", "\"" + name + "\" is not a Java class name (package.Class)");
            }
            return name;
        }
        List<String> found = MainClasses.find(project.classesDirectory());
        if (found.size() == 1) {
            return found.getFirst();
        }
        if (found.isEmpty()) {
            throw new ConfigurationError(
                    "<container><mainClass>",
                    "not set, and no class in " + project.classesDirectory()
                            + " has a public static void main(String[]): set it, or compile the project first "
                            + "(mvn package kiln:build)");
        }
        throw new ConfigurationError(
                "<container><mainClass>",
                "not set, and several classes have a main method (" + String.join(", ", found) + "): name one");
    }

    /** {@code project.build.outputTimestamp}: seconds since the epoch or an ISO-8601 time; one character is "off". */
    static Optional<Instant> outputTimestamp(Optional<String> value) throws ConfigurationError {
        if (value.isEmpty() || value.get().strip().length() <= 1) {
            return Optional.empty();
        }
        String text = value.get().strip();
        try {
            if (text.chars().allMatch(Character::isDigit)) {
                return Optional.of(Instant.ofEpochSecond(Long.parseLong(text)));
            }
            return Optional.of(OffsetDateTime.parse(text).toInstant());
        } catch (NumberFormatException | DateTimeParseException e) {
            throw new ConfigurationError(
                    "<project.build.outputTimestamp>",
                    "\"" + text + "\" is neither seconds since 1970 nor an ISO-8601 time such as 2024-01-01T00:00:00Z");
        }
    }

    private static Instant creationTime(String value, Optional<Instant> epoch) throws ConfigurationError {
        if (blank(value)) {
            return epoch.orElse(Instant.EPOCH);
        }
        String text = value.strip();
        return switch (text) {
            case "EPOCH" -> Instant.EPOCH;
            case "USE_CURRENT_TIMESTAMP" -> null;
            default -> instant("<container><creationTime>", text);
        };
    }

    private static Instant filesTime(String value) throws ConfigurationError {
        if (blank(value) || value.strip().equals("EPOCH_PLUS_SECOND")) {
            return EPOCH_PLUS_SECOND;
        }
        return instant("<container><filesModificationTime>", value.strip());
    }

    private static Instant instant(String element, String text) throws ConfigurationError {
        try {
            return OffsetDateTime.parse(text).toInstant();
        } catch (DateTimeParseException e) {
            throw new ConfigurationError(
                    element, "\"" + text + "\" is not an ISO-8601 time with an offset, such as 2024-01-01T00:00:00Z");
        }
    }

    private static Map<String, String> environment(Map<String, String> environment) throws ConfigurationError {
        Map<String, String> checked = new LinkedHashMap<>();
        for (Map.Entry<String, String> entry :
                (environment == null ? Map.<String, String>of() : environment).entrySet()) {
            if (entry.getKey().isEmpty() || entry.getKey().contains("=")) {
                throw new ConfigurationError(
                        "<container><environment>", "\"" + entry.getKey() + "\" is not a variable name");
            }
            checked.put(entry.getKey(), entry.getValue() == null ? "" : entry.getValue());
        }
        return checked;
    }

    /** Jib's forms: {@code 8080}, {@code 8080/udp}, {@code 7000-7002} (each port of the range). */
    static Set<String> ports(List<String> ports) throws ConfigurationError {
        Set<String> exposed = new LinkedHashSet<>();
        for (String port : nonNull(ports)) {
            Matcher m = PORT.matcher(port == null ? "" : port.strip());
            if (!m.matches()) {
                throw new ConfigurationError(
                        "<container><ports>", "\"" + port + "\" is not a port (8080, 8080/udp or 7000-7002)");
            }
            int first = Integer.parseInt(m.group(1));
            int last = m.group(2) == null ? first : Integer.parseInt(m.group(2));
            if (first < 1 || last > 65535 || last < first) {
                throw new ConfigurationError("<container><ports>", "\"" + port + "\" is out of range 1-65535");
            }
            String protocol = m.group(3) == null ? "tcp" : m.group(3);
            for (int p = first; p <= last; p++) {
                exposed.add(p + "/" + protocol);
            }
        }
        return exposed;
    }

    private static String workingDirectory(String value) throws ConfigurationError {
        if (blank(value)) {
            return null;
        }
        if (!value.strip().startsWith("/")) {
            throw new ConfigurationError("<container><workingDirectory>", "\"" + value + "\" is not an absolute path");
        }
        return value.strip();
    }

    private static boolean format(String value) throws ConfigurationError {
        if (blank(value)) {
            return false;
        }
        return switch (value.strip()) {
            case "Docker", "docker" -> false;
            case "OCI", "oci" -> true;
            default -> throw new ConfigurationError("<container><format>", "\"" + value + "\": expected Docker or OCI");
        };
    }

    private static List<String> runs(List<String> runs) throws ConfigurationError {
        List<String> commands = new ArrayList<>();
        for (String run : nonNull(runs)) {
            if (blank(run)) {
                throw new ConfigurationError("<runs><run>", "empty: give the shell command to run");
            }
            commands.add(run.strip());
        }
        return commands;
    }

    private static List<ExtraDirectory> extraDirectories(ImageParameters.ExtraDirectories extra, Path basedir)
            throws ConfigurationError, IOException {
        List<ImageParameters.Permission> permissions = extra == null ? List.of() : nonNull(extra.permissions);
        List<ImageParameters.Ownership> ownerships = extra == null ? List.of() : nonNull(extra.ownerships);
        for (ImageParameters.Permission permission : permissions) {
            if (permission == null || blank(permission.file)) {
                throw new ConfigurationError("<extraDirectories><permissions><permission><file>", "missing");
            }
            if (blank(permission.mode) || !MODE.matcher(permission.mode.strip()).matches()) {
                throw new ConfigurationError(
                        "<extraDirectories><permissions><permission><mode>",
                        "\"" + permission.mode + "\" for " + permission.file + " is not an octal mode such as 755");
            }
        }
        List<Owner> owners = new ArrayList<>();
        for (ImageParameters.Ownership ownership : ownerships) {
            if (ownership == null || blank(ownership.file)) {
                throw new ConfigurationError("<extraDirectories><ownerships><ownership><file>", "missing");
            }
            try {
                owners.add(Owner.parse(blank(ownership.owner) ? "" : ownership.owner.strip()));
            } catch (IllegalArgumentException e) {
                throw new ConfigurationError(
                        "<extraDirectories><ownerships><ownership><owner>",
                        "\"" + ownership.owner + "\" for " + ownership.file + ": " + e.getMessage());
            }
        }
        List<ImageParameters.ExtraDirectory> paths = extra == null ? List.of() : nonNull(extra.paths);
        boolean configured = !paths.isEmpty();
        if (!configured) {
            // Jib's default: src/main/jib, when it exists
            ImageParameters.ExtraDirectory jib = new ImageParameters.ExtraDirectory();
            jib.from = basedir.resolve("src/main/jib").toFile();
            if (!Files.isDirectory(jib.from.toPath())) {
                return List.of();
            }
            paths = List.of(jib);
        }
        List<ExtraDirectory> directories = new ArrayList<>();
        for (ImageParameters.ExtraDirectory path : paths) {
            if (path == null || path.from == null) {
                throw new ConfigurationError("<extraDirectories><paths><path>", "names no directory");
            }
            Path dir = path.from.toPath().isAbsolute() ? path.from.toPath() : basedir.resolve(path.from.toPath());
            if (!Files.isDirectory(dir)) {
                throw new ConfigurationError(
                        "<extraDirectories><paths><path>",
                        dir + (Files.exists(dir) ? " is not a directory" : " does not exist"));
            }
            String into = blank(path.into) ? "/" : path.into.strip();
            if (!into.startsWith("/")) {
                throw new ConfigurationError(
                        "<extraDirectories><paths><path><into>", "\"" + into + "\" is not an absolute path");
            }
            List<FileRule> rules = rules(dir, into, permissions, ownerships, owners);
            directories.add(new ExtraDirectory(dir, into, nonNull(path.includes), nonNull(path.excludes), rules));
        }
        return directories;
    }

    /**
     * Each regular file whose path in the image matches a permission's or an ownership's glob, with what applies to
     * it. Directories keep their own mode and are owned by root: a copy's mode would apply to all they hold.
     */
    private static List<FileRule> rules(
            Path dir,
            String into,
            List<ImageParameters.Permission> permissions,
            List<ImageParameters.Ownership> ownerships,
            List<Owner> owners)
            throws IOException {
        if (permissions.isEmpty() && ownerships.isEmpty()) {
            return List.of();
        }
        List<PathMatcher> modeGlobs = new ArrayList<>();
        for (ImageParameters.Permission permission : permissions) {
            modeGlobs.add(FileSystems.getDefault().getPathMatcher("glob:" + permission.file.strip()));
        }
        List<PathMatcher> ownerGlobs = new ArrayList<>();
        for (ImageParameters.Ownership ownership : ownerships) {
            ownerGlobs.add(FileSystems.getDefault().getPathMatcher("glob:" + ownership.file.strip()));
        }
        List<FileRule> rules = new ArrayList<>();
        List<Path> files;
        try (Stream<Path> walk = Files.walk(dir)) {
            files = walk.filter(Files::isRegularFile).sorted().toList();
        }
        for (Path file : files) {
            String relative = dir.relativize(file).toString();
            Path target = Path.of(into.equals("/") ? "/" + relative : into + "/" + relative);
            int mode = -1;
            for (int i = 0; i < modeGlobs.size(); i++) {
                if (modeGlobs.get(i).matches(target)) {
                    mode = Integer.parseInt(permissions.get(i).mode.strip(), 8);
                }
            }
            Owner owner = null;
            for (int i = 0; i < ownerGlobs.size(); i++) {
                if (ownerGlobs.get(i).matches(target)) {
                    owner = owners.get(i);
                }
            }
            if (mode >= 0 || owner != null) {
                rules.add(new FileRule(relative, target.toString(), mode, owner));
            }
        }
        return rules;
    }

    private static <T> List<T> nonNull(List<T> list) {
        return list == null ? List.of() : list;
    }

    private static boolean blank(String text) {
        return text == null || text.isBlank();
    }
}
