package dev.kiln.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.core.Trees;
import dev.kiln.engine.export.ExportTarget;
import dev.kiln.llb.OpOption;
import dev.kiln.llb.RunOption;
import dev.kiln.llb.State;
import dev.kiln.solver.ProgressEvent;
import dev.kiln.worker.BusyboxRootfs;
import dev.kiln.worker.StepNames;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * An engine on a temporary state directory, with a busybox root filesystem as the local source
 * {@code rootfs}: {@code State.local("rootfs")} is the base image of these tests. A test class that shares one
 * engine among its tests holds it as {@code @RegisterExtension static final EngineFixture kiln = new
 * EngineFixture();}: it opens on a fresh temporary directory ({@link #dir}) before the class's {@code @BeforeAll}
 * methods and is closed and deleted after its {@code @AfterAll} methods. A test that wants an engine of its own
 * opens one on a directory of its choice with {@link #EngineFixture(Path)}. A test class whose every test wants a
 * fresh engine holds one as {@code @RegisterExtension final EngineFixture kiln = EngineFixture.eachTest();}: it opens
 * before and is closed and deleted after each test.
 */
final class EngineFixture
        implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback, AutoCloseable {

    Path dir;
    Path rootfs;
    final Map<String, Path> locals = new LinkedHashMap<>();
    final List<ProgressEvent> events = Collections.synchronizedList(new ArrayList<>());
    Engine engine;
    private final boolean eachTest;

    /** Opened by JUnit, as the extension of a test class. */
    EngineFixture() {
        this.eachTest = false;
    }

    private EngineFixture(boolean eachTest) {
        this.eachTest = eachTest;
    }

    /** Opened by JUnit before each test and closed after it, as an extension in an instance field. */
    static EngineFixture eachTest() {
        return new EngineFixture(true);
    }

    EngineFixture(Path dir) throws IOException {
        this.eachTest = false;
        open(dir);
    }

    private void open(Path dir) throws IOException {
        this.dir = dir;
        this.rootfs = BusyboxRootfs.populate(Files.createDirectories(dir.resolve("rootfs")));
        locals.put("rootfs", rootfs);
        engine = Engine.open(new EngineOptions(dir.resolve("state"), "auto"));
    }

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        open(Files.createTempDirectory("kiln-engine-test-"));
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        closeAndDelete();
    }

    @Override
    public void beforeEach(ExtensionContext context) throws IOException {
        if (eachTest) {
            open(Files.createTempDirectory("kiln-engine-test-"));
        }
    }

    @Override
    public void afterEach(ExtensionContext context) throws IOException {
        if (eachTest) {
            closeAndDelete();
        }
    }

    private void closeAndDelete() throws IOException {
        try {
            close();
        } finally {
            Trees.deleteRecursively(dir);
        }
    }

    static State base() {
        return State.local("rootfs");
    }

    /**
     * A step named "write NAME" on {@link #base()} that writes {@code bytes} bytes of {@code source} to /NAME: from
     * /dev/zero its layer compresses to almost nothing, from /dev/urandom its blob is as large as its snapshot.
     */
    static State writeStep(String name, int bytes, String source) {
        return base().run(
                        RunOption.sh("head -c " + bytes + " " + source + " > /" + name),
                        OpOption.customName("write " + name))
                .root();
    }

    /**
     * A fresh directory on the host that builds may read as {@code State.local(name)}, holding the files given as
     * path, content, path, content... (their directories made as needed).
     */
    Path context(String name, String... pathsAndContents) throws IOException {
        Path context = Files.createDirectories(dir.resolve("contexts").resolve(name));
        locals.put(name, context);
        for (int i = 0; i < pathsAndContents.length; i += 2) {
            Path file = context.resolve(pathsAndContents[i]);
            Files.createDirectories(file.getParent());
            Files.writeString(file, pathsAndContents[i + 1]);
        }
        return context;
    }

    /**
     * Solves {@code state} and exports it to a fresh directory, which it returns, and beside it to a tar
     * ({@link ExportedFiles#imageOwner} reads it): the directory's files belong to the user running the tests,
     * the tar keeps the owners of the result.
     */
    Path build(State state) throws Exception {
        Path out = Files.createTempDirectory(dir, "out-");
        build(state, new ExportTarget.LocalDirectory(out), new ExportTarget.TarFile(ExportedFiles.tarBeside(out)));
        return out;
    }

    BuildOutcome build(State state, ExportTarget... targets) throws Exception {
        return run(new FrontendSpec.Llb(state.marshal()), targets);
    }

    /** Runs any frontend with this fixture's local directories. */
    BuildOutcome run(FrontendSpec frontend, ExportTarget... targets) throws Exception {
        events.clear();
        return engine.build(new BuildRequest(frontend, Map.of(), locals, List.of(targets)), events::add);
    }

    /**
     * Starts, in the background, a build whose step "slow step" sleeps 2 s and then writes {@code /slow}, exported to
     * {@code out}, and returns once that step runs: a test acts on the engine while the build holds its records.
     */
    CompletableFuture<BuildOutcome> startSlowBuild(Path out) throws InterruptedException {
        State slow = base().run(RunOption.sh("sleep 2; echo done > /slow"), OpOption.customName("slow step"))
                .root();
        CountDownLatch running = new CountDownLatch(1);
        CompletableFuture<BuildOutcome> building = CompletableFuture.supplyAsync(() -> {
            try {
                return engine.build(
                        new BuildRequest(
                                new FrontendSpec.Llb(slow.marshal()),
                                Map.of(),
                                locals,
                                List.of(new ExportTarget.LocalDirectory(out))),
                        event -> {
                            if (event instanceof ProgressEvent.VertexStarted started
                                    && started.vertexName().equals("slow step")) {
                                running.countDown();
                            }
                        });
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        assertThat(running.await(60, TimeUnit.SECONDS)).isTrue();
        return building;
    }

    /** Closes the engine and opens a new one on the same state, as a second process would. */
    void reopen() throws IOException {
        engine.close();
        engine = Engine.open(new EngineOptions(dir.resolve("state"), "auto"));
    }

    /** As {@link #reopen()}, with options {@code change} makes of the fixture's. */
    void reopen(java.util.function.UnaryOperator<EngineOptions> change) throws IOException {
        engine.close();
        engine = Engine.open(change.apply(new EngineOptions(dir.resolve("state"), "auto")));
    }

    List<String> executed() {
        return StepNames.executed(events);
    }

    List<String> cached() {
        return StepNames.cached(events);
    }

    /** Every file of the build cache (the solver's records), relative to its directory. */
    Set<String> cacheFiles() throws IOException {
        return filesUnder(dir.resolve("state").resolve("cache"));
    }

    static Set<String> filesUnder(Path root) throws IOException {
        Set<String> files = new TreeSet<>();
        if (!Files.exists(root)) {
            return files;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            walk.filter(p -> !p.equals(root))
                    .forEach(p -> files.add(root.relativize(p).toString()));
        }
        return files;
    }

    @Override
    public void close() throws IOException {
        engine.close();
    }
}
