package dev.kiln.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code kiln frontend-image -t REF [--push] [--output SPEC] [--frontend java:CLASS --frontend-classpath CP]}: packs
 * a Java frontend as a frontend image that Kiln and BuildKit run ({@code --frontend gateway.v0 --opt source=REF}, or
 * a Dockerfile's {@code # syntax=REF}): by default Kiln's own Dockerfile frontend. The image is a jlinked runtime,
 * the host libraries it needs, the jars ({@link FrontendStaging}) and a class data sharing archive of what a start
 * loads, built by Kiln itself from LLB ({@link FrontendImageBuild}) in this process, and exported as {@code kiln
 * build} exports (-t alone keeps it in the local image store). SOURCE_DATE_EPOCH in the environment makes it reproducible.
 */
final class FrontendImageCommand {

    static final String USAGE = """
            usage: kiln frontend-image -t REF [--push] [--output SPEC] [--frontend java:CLASS --frontend-classpath CP]
            Packs a Java frontend (by default Kiln's Dockerfile frontend) as a frontend image.
              -t, --tag REF             the image's name (repeatable)
              --push                    push the image to its registry
              -o, --output SPEC         an output as kiln build takes it (type=oci,dest=..., type=registry, ...)
              --frontend java:CLASS     the frontend to pack: a BuildFunction or Frontend class
              --frontend-classpath CP   where CLASS and what it uses are (jars or class directories, ':'-separated)
              --no-aot                  no class data sharing archive (a smaller image that starts slower)
              --state DIR, --progress MODE, --runtime NAME, --metadata-file FILE   as for kiln build""";

    static final String DEFAULT_FRONTEND = "dev.kiln.dockerfile.DockerfileFrontend";

    private static final String SOURCE_DATE_EPOCH = "SOURCE_DATE_EPOCH";

    private final PrintStream out;
    private final PrintStream err;
    private final Map<String, String> env;

    FrontendImageCommand(PrintStream out, PrintStream err) {
        this(out, err, System.getenv());
    }

    /** A command that reads SOURCE_DATE_EPOCH from {@code env}. */
    FrontendImageCommand(PrintStream out, PrintStream err, Map<String, String> env) {
        this.out = out;
        this.err = err;
        this.env = Map.copyOf(env);
    }

    int run(List<String> args) throws Exception {
        List<String> build = new ArrayList<>();
        String frontend = DEFAULT_FRONTEND;
        List<Path> extra = new ArrayList<>();
        boolean aot = true;
        boolean named = false;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            switch (arg) {
                case "-h", "--help" -> throw new HelpRequested(USAGE);
                case "--push" -> build.add(arg);
                case "--no-aot" -> aot = false;
                case "-t", "--tag", "-o", "--output", "--state", "--progress", "--runtime", "--metadata-file" -> {
                    build.add(arg);
                    build.add(value(args, ++i, arg));
                    named |= !arg.equals("--state")
                            && !arg.equals("--progress")
                            && !arg.equals("--runtime")
                            && !arg.equals("--metadata-file");
                }
                case "--frontend" -> {
                    String value = value(args, ++i, arg);
                    if (!value.startsWith("java:") || value.length() == 5) {
                        throw new UsageException("--frontend: expected java:CLASS, got " + value);
                    }
                    frontend = value.substring(5);
                }
                case "--frontend-classpath" -> {
                    for (String entry : value(args, ++i, arg).split(java.io.File.pathSeparator)) {
                        if (!entry.isEmpty()) {
                            extra.add(Path.of(entry).toAbsolutePath().normalize());
                        }
                    }
                }
                default -> throw new UsageException("frontend-image: unknown argument " + arg + "\n" + USAGE);
            }
        }
        if (!named) {
            throw new UsageException(
                    "frontend-image needs an image name or an output: -t REF or --output SPEC\n" + USAGE);
        }
        Instant epoch = epoch(env);
        Path work = Files.createTempDirectory("kiln-frontend-image-");
        try {
            List<Path> classpath = new ArrayList<>(extra);
            for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
                if (!entry.isEmpty()) {
                    Path path = Path.of(entry).toAbsolutePath().normalize();
                    classpath.add(path);
                    classpath.addAll(manifestClassPath(path));
                }
            }
            List<Path> roots = new ArrayList<>(List.of(origin(Class.forName("dev.kiln.gateway.grpc.StdioFrontend"))));
            if (extra.isEmpty()) {
                roots.add(origin(Class.forName(frontend)));
            } else {
                roots.addAll(extra.stream().filter(Files::exists).toList());
                try (URLClassLoader loader = new URLClassLoader(
                        extra.stream().map(FrontendImageCommand::url).toArray(URL[]::new),
                        FrontendImageCommand.class.getClassLoader())) {
                    loader.loadClass(frontend);
                } catch (ClassNotFoundException e) {
                    throw new UsageException("--frontend java:" + frontend + ": no such class on --frontend-classpath");
                }
            }
            err.println("kiln: staging the frontend " + frontend + " with a jlinked runtime");
            FrontendStaging staged =
                    FrontendStaging.stage(work, classpath, roots, epoch, line -> err.println("kiln: " + line));
            build.addAll(List.of(
                    "--frontend",
                    "java:" + FrontendImageBuild.class.getName(),
                    "--local",
                    FrontendImageBuild.LOCAL + "=" + staged.rootfs(),
                    "--opt",
                    "class=" + frontend,
                    "--opt",
                    "classpath=" + String.join(":", staged.classpath()),
                    "--opt",
                    "aot=" + aot,
                    "--opt",
                    "epoch=" + epoch.getEpochSecond()));
            if (env.containsKey(SOURCE_DATE_EPOCH)) {
                // the exporter's epoch (the config's and history's times, layer times clamped), from this
                // environment rather than the process's
                build.addAll(List.of("--build-arg", SOURCE_DATE_EPOCH + "=" + epoch.getEpochSecond()));
            }
            try {
                return new BuildCommand(out, err, java.io.InputStream.nullInputStream()).run(build);
            } catch (dev.kiln.engine.BuildException e) {
                err.println("kiln: build failed: " + e.getMessage());
                return 1;
            }
        } finally {
            deleteTree(work);
        }
    }

    /**
     * The entries a jar's manifest adds to the class path, as the JVM reads them (a launcher such as Maven's
     * surefire puts the whole class path there).
     */
    private static List<Path> manifestClassPath(Path jar) {
        if (!Files.isRegularFile(jar)) {
            return List.of();
        }
        try (java.util.jar.JarFile file = new java.util.jar.JarFile(jar.toFile())) {
            java.util.jar.Manifest manifest = file.getManifest();
            String value = manifest == null
                    ? null
                    : manifest.getMainAttributes().getValue(java.util.jar.Attributes.Name.CLASS_PATH);
            if (value == null) {
                return List.of();
            }
            List<Path> entries = new ArrayList<>();
            for (String item : value.trim().split("\\s+")) {
                java.net.URI uri = jar.toUri().resolve(item);
                entries.add(Path.of(uri).toAbsolutePath().normalize());
            }
            return entries;
        } catch (IOException | IllegalArgumentException e) {
            return List.of();
        }
    }

    private static String value(List<String> args, int i, String flag) throws UsageException {
        if (i >= args.size()) {
            throw new UsageException(flag + " needs a value");
        }
        return args.get(i);
    }

    /** SOURCE_DATE_EPOCH, or the start of 1970: the staged files' time either way, so staging is reproducible. */
    private static Instant epoch(Map<String, String> env) throws UsageException {
        String value = env.get(SOURCE_DATE_EPOCH);
        if (value == null || value.isBlank()) {
            return Instant.EPOCH;
        }
        try {
            return Instant.ofEpochSecond(Long.parseLong(value.strip()));
        } catch (NumberFormatException e) {
            throw new UsageException("SOURCE_DATE_EPOCH: expected seconds since 1970, got " + value);
        }
    }

    /** The class path entry a class was loaded from. */
    private static Path origin(Class<?> type) throws IOException {
        try {
            return Path.of(type.getProtectionDomain()
                            .getCodeSource()
                            .getLocation()
                            .toURI())
                    .toAbsolutePath()
                    .normalize();
        } catch (URISyntaxException | NullPointerException e) {
            throw new IOException("cannot tell where " + type.getName() + " was loaded from", e);
        }
    }

    private static URL url(Path path) {
        try {
            return path.toUri().toURL();
        } catch (java.net.MalformedURLException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
