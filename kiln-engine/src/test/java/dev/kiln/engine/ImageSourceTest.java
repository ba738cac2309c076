package dev.kiln.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.core.ImageReference;
import dev.kiln.gateway.ResolveImageConfigOpt;
import dev.kiln.gateway.ResolvedImageConfig;
import dev.kiln.gateway.Result;
import dev.kiln.llb.RunOption;
import dev.kiln.llb.State;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.ImageConfig;
import dev.kiln.oci.registry.RegistryClient;
import dev.kiln.oci.testing.RegistryProxy;
import dev.kiln.oci.testing.Tools;
import dev.kiln.worker.WithBusyboxRegistry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** docker-image:// sources and resolveImageConfig against a real registry on 127.0.0.1. */
class ImageSourceTest extends WithBusyboxRegistry {

    @RegisterExtension
    static final EngineFixture kiln = new EngineFixture();

    @Test
    void runOnAPulledImageSeesItsFilesAndARepeatBuildIsCached() throws Exception {
        State built = State.image(busybox.toString())
                .run(RunOption.sh("ls /bin/busybox > /listed"))
                .root();

        Path out = kiln.build(built);
        assertThat(out.resolve("listed")).hasContent("/bin/busybox\n");

        kiln.build(built);
        assertThat(kiln.executed()).isEmpty();
    }

    @Test
    void imagePinnedByDigestIsPulledToo() throws Exception {
        String pinned = busybox.domain() + "/" + busybox.path() + "@"
                + images.manifest().digest();
        Path out = kiln.build(State.image(pinned));
        assertThat(out.resolve("bin/busybox")).isRegularFile();
    }

    @Test
    void resolveImageConfigReturnsThePinnedDigestAndTheConfig() throws Exception {
        AtomicReference<ResolvedImageConfig> resolved = new AtomicReference<>();
        kiln.engine.build(
                new BuildRequest(
                        new FrontendSpec.Function("probe", client -> {
                            resolved.set(
                                    client.resolveImageConfig(busybox.toString(), ResolveImageConfigOpt.defaults()));
                            return Result.empty();
                        }),
                        Map.of(),
                        kiln.locals,
                        List.of()),
                event -> {});

        assertThat(resolved.get().digest()).isEqualTo(images.manifest().digest());
        assertThat(resolved.get().ref()).endsWith("@" + images.manifest().digest());
        ImageConfig config = ImageConfig.parse(resolved.get().config());
        assertThat(config.config().cmd()).containsExactly("sh");
        assertThat(config.config().env()).anyMatch(e -> e.startsWith("PATH="));
    }

    @Test
    void unknownImageIsAClearError() {
        assertThatThrownBy(() -> kiln.build(
                        State.image(registry.reference("library/nothing:here").toString())))
                .hasMessageContaining("library/nothing");
    }

    @Test
    void aBuildResolvesAnImageOnceAndALaterBuildOnlyAsksWhichDigestItsTagNames() throws Exception {
        try (RegistryProxy proxy = RegistryProxy.start(registry.host())) {
            String throughProxy = proxy.host() + "/library/busybox:1";
            FrontendSpec twoStages = new FrontendSpec.Function("two-stages", client -> {
                // two stages FROM one base, resolved at the same time, as the Dockerfile frontend does
                try (var stages = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
                    var one = stages.submit(
                            () -> client.resolveImageConfig(throughProxy, ResolveImageConfigOpt.defaults()));
                    var other = stages.submit(
                            () -> client.resolveImageConfig(throughProxy, ResolveImageConfigOpt.defaults()));
                    assertThat(one.get().digest()).isEqualTo(other.get().digest());
                } catch (java.util.concurrent.ExecutionException e) {
                    throw new IllegalStateException(e.getCause());
                }
                return Result.empty();
            });
            BuildRequest request = new BuildRequest(twoStages, Map.of(), kiln.locals, List.of());

            kiln.engine.build(request, event -> {});
            // whether the manifest and config come from the registry too depends on whether an earlier test stored them
            assertThat(proxy.requests()).containsOnlyOnce("HEAD /v2/library/busybox/manifests/1");

            int before = proxy.requests().size();
            kiln.engine.build(request, event -> {});
            assertThat(proxy.requests().subList(before, proxy.requests().size()))
                    .containsExactly("HEAD /v2/library/busybox/manifests/1");
        }
    }

    @Test
    void registryThatCorruptsALayerIsRefusedAndNothingIsStored() throws Exception {
        Path state = kiln.dir.resolve("lying-state");
        try (RegistryProxy proxy = RegistryProxy.start(registry.host());
                Engine engine = Engine.open(new EngineOptions(state, "auto"))) {
            Descriptor layer = layerOf(busybox);
            proxy.corrupt(layer.digest());
            ImageReference throughProxy = ImageReference.parseNormalized(proxy.host() + "/library/busybox:1");

            assertThatThrownBy(() -> engine.build(
                            new BuildRequest(
                                    new FrontendSpec.Llb(
                                            State.image(throughProxy.toString()).marshal()),
                                    Map.of(),
                                    Map.of(),
                                    List.of()),
                            event -> {}))
                    .hasMessageContaining(layer.digest().toString());
        }
        String layerHex = layerOf(busybox).digest().hex();
        try (Stream<Path> blobs = Files.walk(state.resolve("worker/images/content"))) {
            assertThat(blobs.filter(Files::isRegularFile).map(Path::toString))
                    .noneMatch(name -> name.contains("blobs") && name.endsWith(layerHex));
        }
    }

    @Test
    void imageWhoseLayerNamesTheRootSlashAsUmociWritesIsPulledAndRuns() throws Exception {
        Path rootfs = Files.createDirectories(kiln.dir.resolve("umoci-rootfs"));
        Files.createDirectory(rootfs.resolve("bin"));
        Files.copy(Path.of("/bin/busybox"), rootfs.resolve("bin/busybox"));
        Files.createSymbolicLink(rootfs.resolve("bin/sh"), Path.of("busybox"));
        Files.writeString(rootfs.resolve("greeting"), "inserted by umoci\n");
        Path layout = kiln.dir.resolve("umoci-layout");
        Tools.run(kiln.dir, "umoci", "init", "--layout", layout.toString());
        Tools.run(kiln.dir, "umoci", "new", "--image", layout + ":1");
        // umoci insert writes every path under the target "/" as it is named there, the root as "/".
        Tools.run(kiln.dir, "umoci", "insert", "--image", layout + ":1", rootfs.toString(), "/");
        assertThat(entryNames(onlyLayerOf(layout))).contains("/", "bin/busybox", "greeting");
        String name = registry.host() + "/umoci/slash-root:1";
        Tools.run(kiln.dir, "skopeo", "copy", "--dest-tls-verify=false", "oci:" + layout + ":1", "docker://" + name);

        Path out = kiln.build(
                State.image(name).run(RunOption.sh("cat /greeting > /seen")).root());

        assertThat(out.resolve("seen")).hasContent("inserted by umoci");
        assertThat(out.resolve("bin/busybox")).isRegularFile().hasSize(Files.size(Path.of("/bin/busybox")));
    }

    /** The uncompressed tar of the single layer of the image tagged 1 in an OCI layout. */
    private static byte[] onlyLayerOf(Path layout) throws Exception {
        ObjectMapper json = new ObjectMapper();
        JsonNode index = json.readTree(layout.resolve("index.json").toFile());
        JsonNode manifest = json.readTree(
                blob(layout, index.get("manifests").get(0).get("digest").asText())
                        .toFile());
        assertThat(manifest.get("layers")).hasSize(1);
        try (InputStream in = new GZIPInputStream(Files.newInputStream(
                blob(layout, manifest.get("layers").get(0).get("digest").asText())))) {
            return in.readAllBytes();
        }
    }

    private static Path blob(Path layout, String digest) {
        return layout.resolve("blobs/sha256").resolve(digest.substring("sha256:".length()));
    }

    /** The names in a tar as its headers spell them (commons-compress would not clean them). */
    private static List<String> entryNames(byte[] tar) throws Exception {
        List<String> names = new ArrayList<>();
        try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
            for (TarArchiveEntry entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
                names.add(entry.getName());
            }
        } catch (IOException e) {
            // umoci 0.4 ends an inserted layer without padding or end blocks; the names before that are read
        }
        return names;
    }

    private static Descriptor layerOf(ImageReference reference) throws Exception {
        try (RegistryClient client = RegistryClient.builder().build()) {
            return client.resolveImage(reference, dev.kiln.core.Platform.current())
                    .layers()
                    .getFirst();
        }
    }
}
