package dev.kiln.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;

/**
 * The root filesystem of a frontend image, staged on the host for {@link FrontendImageBuild}: the jars the frontend
 * needs (those that jdeps finds its classes reach, from the class path it is given; class directories are jarred,
 * since a class data sharing archive takes classes from jars only) merged into one, a Java runtime made by jlink
 * from this JDK with the modules jdeps names, and the host's shared libraries that runtime links against (as ldd
 * lists them), at their host paths. Every file gets the time {@code epoch}, so that the same inputs stage the same
 * tree.
 *
 * @param rootfs the staged tree
 * @param classpath the class path in the image: its one jar
 * @param modules the runtime's modules
 */
record FrontendStaging(Path rootfs, List<String> classpath, Set<String> modules) {

    static final String LIB = "/opt/kiln/lib";
    static final String RUNTIME = "/opt/kiln/java";

    /** The one jar in {@link #LIB}: every jar the frontend needs, merged. */
    static final String JAR = "frontend.jar";

    /**
     * Stages a frontend.
     *
     * @param work an empty directory to stage in
     * @param classpath where the frontend's classes and those it uses may be: jars and class directories
     * @param roots the entries of {@code classpath} that must be in the image (the frontend's own and the entry
     *     point's); jdeps adds what they use
     */
    static FrontendStaging stage(Path work, List<Path> classpath, List<Path> roots, Instant epoch, Log log)
            throws IOException, InterruptedException {
        Path jars = Files.createDirectories(work.resolve("jars"));
        Map<Path, Path> asJars = new LinkedHashMap<>();
        Set<String> names = new TreeSet<>();
        for (Path entry : classpath) {
            if (asJars.containsKey(entry) || !Files.exists(entry)) {
                continue;
            }
            asJars.put(entry, asJar(entry, jars, names, epoch));
        }
        List<Path> rootJars = new ArrayList<>();
        for (Path root : roots) {
            Path jar = asJars.get(root);
            if (jar == null) {
                throw new IOException(root + " is not on the class path");
            }
            rootJars.add(jar);
        }
        Dependencies deps = dependencies(List.copyOf(asJars.values()), rootJars);
        log.line("jdeps: " + deps.jars().size() + " jars, modules " + String.join(",", deps.modules()));

        Path rootfs = Files.createDirectories(work.resolve("rootfs"));
        Path lib = Files.createDirectories(rootfs.resolve(LIB.substring(1)));
        ClassPathJar.merge(deps.jars(), lib.resolve(JAR), epoch);
        List<String> imageClasspath = List.of(LIB + "/" + JAR);
        Path runtime = rootfs.resolve(RUNTIME.substring(1));
        Files.createDirectories(runtime.getParent());
        jlink(
                "--add-modules",
                String.join(",", deps.modules()),
                "--output",
                runtime.toString(),
                "--strip-debug",
                "--no-header-files",
                "--no-man-pages");
        for (Path library : hostLibraries(runtime)) {
            Path target = rootfs.resolve(library.toString().substring(1));
            Files.createDirectories(target.getParent());
            Files.copy(library, target, StandardCopyOption.REPLACE_EXISTING);
        }
        Path tmp = Files.createDirectories(rootfs.resolve("tmp"));
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
        stamp(rootfs, epoch);
        return new FrontendStaging(rootfs, List.copyOf(imageClasspath), deps.modules());
    }

    /** Where staging says what it does. */
    @FunctionalInterface
    interface Log {
        void line(String text);
    }

    /** What jdeps finds the roots reach: class path jars (roots first) and JDK modules. */
    private record Dependencies(List<Path> jars, Set<String> modules) {}

    private static Dependencies dependencies(List<Path> all, List<Path> roots) throws IOException {
        List<String> args = new ArrayList<>(List.of(
                "-summary",
                "-recursive",
                "--multi-release",
                Integer.toString(Runtime.version().feature()),
                "--class-path",
                String.join(
                        java.io.File.pathSeparator,
                        all.stream().map(Path::toString).toList())));
        roots.forEach(root -> args.add(root.toString()));
        String out = tool("jdeps", args.toArray(String[]::new));
        Map<String, Path> byName = new LinkedHashMap<>();
        all.forEach(jar -> byName.put(jar.getFileName().toString(), jar));
        Set<Path> jars = new java.util.LinkedHashSet<>(roots);
        Set<String> modules = new TreeSet<>(Set.of("java.base"));
        for (String line : out.split("\n")) {
            String[] sides = line.strip().split(" -> ");
            if (sides.length != 2) {
                continue;
            }
            for (String side : sides) {
                String name = side.strip();
                if (byName.containsKey(name)) {
                    jars.add(byName.get(name));
                } else if (name.matches("(java|jdk)\\.[a-z0-9.]+")) {
                    modules.add(name);
                }
            }
        }
        return new Dependencies(List.copyOf(jars), modules);
    }

    /** The jar of a class path entry: itself, or its classes jarred, named for its module when it is one's. */
    private static Path asJar(Path entry, Path jars, Set<String> names, Instant epoch) throws IOException {
        if (!Files.isDirectory(entry)) {
            String name = unique(entry.getFileName().toString(), names);
            Path copy = jars.resolve(name);
            Files.createSymbolicLink(copy, entry.toAbsolutePath());
            return copy;
        }
        // a Maven module's target/classes (or test-classes): named for the module
        Path module = entry.toAbsolutePath().getParent();
        String base = entry.getFileName().toString();
        if (module != null && module.getFileName().toString().equals("target") && module.getParent() != null) {
            base = module.getParent().getFileName() + (base.equals("classes") ? "" : "-" + base);
        }
        Path jar = jars.resolve(unique(base + ".jar", names));
        writeJar(entry, jar, epoch);
        return jar;
    }

    private static String unique(String name, Set<String> names) {
        String candidate = name;
        for (int i = 2; !names.add(candidate); i++) {
            candidate = name.replaceFirst("\\.jar$", "") + "-" + i + ".jar";
        }
        return candidate;
    }

    /** The directory's files as a jar whose bytes depend on nothing but them: sorted, one timestamp. */
    private static void writeJar(Path dir, Path jar, Instant epoch) throws IOException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(dir)) {
            files = walk.filter(Files::isRegularFile)
                    .sorted(java.util.Comparator.comparing(
                            p -> dir.relativize(p).toString()))
                    .toList();
        }
        try (OutputStream out = Files.newOutputStream(jar);
                JarOutputStream zip = new JarOutputStream(out)) {
            for (Path file : files) {
                JarEntry entry = new JarEntry(dir.relativize(file).toString().replace('\\', '/'));
                entry.setTime(epoch.toEpochMilli());
                zip.putNextEntry(entry);
                Files.copy(file, zip);
                zip.closeEntry();
            }
        }
    }

    /** The host libraries (outside the runtime) that the runtime's launcher and native libraries load. */
    private static Set<Path> hostLibraries(Path runtime) throws IOException, InterruptedException {
        List<String> binaries = new ArrayList<>();
        binaries.add(runtime.resolve("bin/java").toString());
        try (Stream<Path> walk = Files.walk(runtime.resolve("lib"))) {
            walk.filter(p -> p.getFileName().toString().endsWith(".so")).forEach(p -> binaries.add(p.toString()));
        }
        List<String> command = new ArrayList<>(List.of("ldd"));
        command.addAll(binaries);
        Process ldd = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(ldd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!ldd.waitFor(60, TimeUnit.SECONDS) || ldd.exitValue() != 0) {
            throw new IOException("ldd failed on the jlinked runtime: " + out.strip());
        }
        Set<String> own = new TreeSet<>();
        try (Stream<Path> walk = Files.walk(runtime)) {
            walk.forEach(p -> own.add(p.getFileName().toString()));
        }
        Set<Path> libraries = new TreeSet<>();
        for (String line : out.split("\n")) {
            String text = line.strip();
            // the runtime's own libraries find each other at run time ($ORIGIN), which ldd does not always see
            if (text.contains("not found") && !own.contains(text.split(" ", 2)[0])) {
                throw new IOException("the jlinked runtime needs a library the host lacks: " + text);
            }
            String path =
                    text.contains("=>") ? text.substring(text.indexOf("=>") + 2).strip() : text;
            int paren = path.indexOf(" (");
            path = paren < 0 ? path : path.substring(0, paren);
            if (path.startsWith("/")
                    && !text.contains("not found")
                    && !Path.of(path).normalize().startsWith(runtime)) {
                libraries.add(Path.of(path));
            }
        }
        return libraries;
    }

    /**
     * Gives every file, directory and symbolic link of {@code rootfs} the time {@code epoch}: the links too (jlink
     * makes some under legal/), or their time of staging reaches the layer whenever SOURCE_DATE_EPOCH does not clamp
     * it.
     */
    private static void stamp(Path rootfs, Instant epoch) throws IOException {
        FileTime time = FileTime.from(epoch);
        Files.walkFileTree(rootfs, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.getFileAttributeView(
                                file, java.nio.file.attribute.BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                        .setTimes(time, null, null);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                Files.getFileAttributeView(
                                dir, java.nio.file.attribute.BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                        .setTimes(time, null, null);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /**
     * Runs jlink in a JVM of its own. Not in this process: jlink's generate-jli-classes plugin writes the
     * java.lang.invoke classes that the running JVM generates, and a JVM that has run a while (or mapped an AOT cache)
     * generates other bytes than a fresh one, so that an in-process jlink made a different runtime on different runs.
     */
    private static void jlink(String... args) throws IOException, InterruptedException {
        Path jlink = Path.of(System.getProperty("java.home"), "bin", "jlink");
        if (!Files.isExecutable(jlink)) {
            throw new IOException(jlink + " is missing (kiln frontend-image needs a JDK with jlink and jdeps)");
        }
        List<String> command = new ArrayList<>(List.of(jlink.toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(10, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new IOException("jlink did not finish within 10 minutes");
        }
        if (process.exitValue() != 0) {
            throw new IOException("jlink failed (" + process.exitValue() + "): " + out.strip());
        }
    }

    /** Runs a JDK tool in this process and returns what it printed. */
    private static String tool(String name, String... args) throws IOException {
        ToolProvider tool = ToolProvider.findFirst(name)
                .orElseThrow(() -> new IOException(name + " is not in this Java runtime (kiln frontend-image needs a "
                        + "JDK with jlink and jdeps)"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code;
        try (PrintWriter writer = new PrintWriter(out, true, StandardCharsets.UTF_8)) {
            code = tool.run(writer, writer, args);
        }
        String text = out.toString(StandardCharsets.UTF_8);
        if (code != 0) {
            throw new IOException(name + " failed (" + code + "): " + text.strip());
        }
        return text;
    }
}
