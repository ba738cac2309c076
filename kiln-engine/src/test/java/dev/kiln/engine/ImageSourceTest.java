package dev.kiln.engine;

import dev.kiln.gateway.ResolveImageConfigOpt;
import dev.kiln.gateway.ResolvedImageConfig;
import dev.kiln.gateway.Result;
import dev.kiln.llb.ImageReference;
import dev.kiln.llb.RunOption;
import dev.kiln.llb.State;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.ImageConfig;
import dev.kiln.oci.registry.RegistryClient;
import dev.kiln.oci.testing.LocalRegistry;
import dev.kiln.oci.testing.RegistryProxy;
import dev.kiln.worker.BusyboxImage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** docker-image:// sources and resolveImageConfig against a real registry on 127.0.0.1. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ImageSourceTest {

    Path tmp;
    EngineFixture kiln;
    LocalRegistry registry;
    ImageReference busybox;
    Descriptor pushed;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        tmp = dir;
        kiln = new EngineFixture(tmp);
        registry = LocalRegistry.anonymous().start();
        busybox = registry.reference("library/busybox:1");
        try (RegistryClient client = RegistryClient.builder().build()) {
            pushed = BusyboxImage.push(client, busybox, tmp);
        }
    }

    @AfterAll
    void stop() throws Exception {
        kiln.close();
        registry.close();
    }

    @Test
    void runOnAPulledImageSeesItsFilesAndARepeatBuildIsCached() throws Exception {
        State built = State.image(busybox.toString()).run(RunOption.sh("ls /bin/busybox > /listed")).root();

        Path out = kiln.build(built);
        assertThat(out.resolve("listed")).hasContent("/bin/busybox\n");

        kiln.build(built);
        assertThat(kiln.executed()).isEmpty();
    }

    @Test
    void imagePinnedByDigestIsPulledToo() throws Exception {
        String pinned = busybox.domain() + "/" + busybox.path() + "@" + pushed.digest();
        Path out = kiln.build(State.image(pinned));
        assertThat(out.resolve("bin/busybox")).isRegularFile();
    }

    @Test
    void resolveImageConfigReturnsThePinnedDigestAndTheConfig() throws Exception {
        AtomicReference<ResolvedImageConfig> resolved = new AtomicReference<>();
        kiln.engine.build(new BuildRequest(new FrontendSpec.Function("probe", client -> {
            resolved.set(client.resolveImageConfig(busybox.toString(), ResolveImageConfigOpt.defaults()));
            return Result.empty();
        }), Map.of(), kiln.locals, List.of()), event -> { });

        assertThat(resolved.get().digest()).isEqualTo(pushed.digest());
        assertThat(resolved.get().ref()).endsWith("@" + pushed.digest());
        ImageConfig config = ImageConfig.parse(resolved.get().config());
        assertThat(config.config().cmd()).containsExactly("sh");
        assertThat(config.config().env()).anyMatch(e -> e.startsWith("PATH="));
    }

    @Test
    void unknownImageIsAClearError() {
        assertThatThrownBy(() -> kiln.build(State.image(registry.reference("library/nothing:here").toString())))
                .hasMessageContaining("library/nothing");
    }

    @Test
    void registryThatCorruptsALayerIsRefusedAndNothingIsStored() throws Exception {
        Path state = tmp.resolve("lying-state");
        try (RegistryProxy proxy = RegistryProxy.start(registry.host());
             Engine engine = Engine.open(new EngineOptions(state, "auto"))) {
            Descriptor layer = layerOf(busybox);
            proxy.corrupt(layer.digest());
            ImageReference throughProxy = ImageReference.parseNormalized(proxy.host() + "/library/busybox:1");

            assertThatThrownBy(() -> engine.build(new BuildRequest(new FrontendSpec.Llb(State.image(throughProxy.toString())
                    .marshal()), Map.of(), Map.of(), List.of()), event -> { }))
                    .hasMessageContaining(layer.digest().toString());
        }
        String layerHex = layerOf(busybox).digest().hex();
        try (Stream<Path> blobs = Files.walk(state.resolve("worker/images/content"))) {
            assertThat(blobs.filter(Files::isRegularFile).map(Path::toString))
                    .noneMatch(name -> name.contains("blobs") && name.endsWith(layerHex));
        }
    }

    private static Descriptor layerOf(ImageReference reference) throws Exception {
        try (RegistryClient client = RegistryClient.builder().build()) {
            return client.resolveImage(reference, dev.kiln.llb.Platform.current()).layers().getFirst();
        }
    }
}
