package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.core.ImageReference;
import dev.kiln.oci.registry.RegistryClient;
import dev.kiln.oci.testing.LocalRegistry;
import dev.kiln.worker.BusyboxImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Kiln's own Dockerfile frontend packed by {@code kiln frontend-image} and pushed to a registry on 127.0.0.1 with a
 * busybox image beside it: made once per test JVM (packing takes a while) for every test that runs it, and gone
 * with the JVM, with the tests' state directories.
 *
 * @param work a directory the tests may use (their state directories live here)
 * @param packLog what {@code kiln frontend-image} printed
 */
record KilnFrontendImage(
        LocalRegistry registry, ImageReference busybox, String frontend, Path work, String packLog, long packMillis) {

    private static KilnFrontendImage made;

    static synchronized KilnFrontendImage get() throws Exception {
        if (made == null) {
            made = make();
        }
        return made;
    }

    private static KilnFrontendImage make() throws Exception {
        Path work = Files.createTempDirectory("kiln-frontend-image-test-");
        LocalRegistry registry = LocalRegistry.anonymous().start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                registry.close();
                try (java.util.stream.Stream<Path> files = Files.walk(work)) {
                    for (Path file :
                            files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(file);
                    }
                }
            } catch (Exception ignored) {
                // the JVM ends either way; what is left is in the temporary directory
            }
        }));
        ImageReference busybox = registry.reference("library/busybox:1");
        try (RegistryClient client = RegistryClient.builder().build()) {
            BusyboxImage.push(client, busybox, work);
        }
        String frontend = registry.host() + "/kiln/dockerfile-frontend:test";
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(log, true, StandardCharsets.UTF_8);
        long start = System.nanoTime();
        int code = pack(work.resolve("pack-state"), frontend, err);
        long millis = (System.nanoTime() - start) / 1_000_000;
        String packLog = log.toString(StandardCharsets.UTF_8);
        assertThat(code).as(packLog).isZero();
        return new KilnFrontendImage(registry, busybox, frontend, work, packLog, millis);
    }

    /** The SOURCE_DATE_EPOCH of the packs: 2023-11-14. */
    static final String EPOCH = "1700000000";

    /** {@code kiln frontend-image -t ref --push} of Kiln's Dockerfile frontend under {@link #EPOCH}, in this JVM. */
    static int pack(Path state, String ref, PrintStream err) throws Exception {
        return new FrontendImageCommand(
                        new PrintStream(new ByteArrayOutputStream()), err, Map.of("SOURCE_DATE_EPOCH", EPOCH))
                .run(List.of("--state", state.toString(), "--progress", "plain", "-t", ref, "--push"));
    }

    /**
     * A multi-stage Dockerfile from the busybox beside the frontend, under {@code syntaxLine}: a build argument
     * GREETING, a heredoc, a cache and a bind RUN mount. {@link #assertBuilt} checks what it makes with GREETING set to
     * bonjour.
     */
    String multiStageDockerfile(String syntaxLine) {
        return syntaxLine + """
                FROM %1$s AS build
                ARG GREETING=hello
                RUN --mount=type=cache,target=/cache echo "$GREETING" > /cache/g && cp /cache/g /greeting
                COPY <<EOF /heredoc.txt
                made by a heredoc
                EOF

                FROM %1$s
                COPY --from=build /greeting /heredoc.txt /out/
                RUN --mount=type=bind,from=build,source=/greeting,target=/g cat /g /g > /out/bound
                """.formatted(busybox);
    }

    /** buildctl's build flags that build {@code context} (its Dockerfile too) with GREETING=bonjour into {@code out}. */
    static List<String> bonjourBuild(Path context, Path out, String... frontendFlags) {
        List<String> flags = new java.util.ArrayList<>(List.of(frontendFlags));
        flags.addAll(List.of(
                "--opt",
                "build-arg:GREETING=bonjour",
                "--local",
                "context=" + context,
                "--local",
                "dockerfile=" + context,
                "--output",
                "type=local,dest=" + out));
        return flags;
    }

    /** What the {@link #multiStageDockerfile} built with GREETING=bonjour into {@code out}. */
    static void assertBuilt(Path out) throws java.io.IOException {
        assertThat(out.resolve("out/greeting")).hasContent("bonjour");
        assertThat(out.resolve("out/heredoc.txt")).hasContent("made by a heredoc");
        assertThat(out.resolve("out/bound")).hasContent("bonjour\nbonjour");
    }
}
