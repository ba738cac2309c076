package dev.kiln.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.engine.export.ArchiveDestination;
import dev.kiln.engine.export.ExportTarget;
import dev.kiln.engine.export.ImageOptions;
import dev.kiln.gateway.ResolveImageConfigOpt;
import dev.kiln.gateway.ResolvedImageConfig;
import dev.kiln.gateway.Result;
import dev.kiln.llb.ImageOption;
import dev.kiln.llb.RunOption;
import dev.kiln.llb.State;
import dev.kiln.oci.ImageConfig;
import dev.kiln.worker.BusyboxRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/** oci-layout:// sources and images resolved from this machine (resolve mode local), without a registry. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OciLayoutAndLocalImageTest {

    @RegisterExtension
    static final EngineFixture kiln = new EngineFixture();

    Path layout;
    String digest;

    @BeforeAll
    void start() throws Exception {
        try (BusyboxRegistry images = BusyboxRegistry.start(kiln.dir)) {
            State built = State.image(images.busybox().toString())
                    .run(RunOption.sh("echo from-layout > /marker"))
                    .root();
            Path archive = kiln.dir.resolve("image.oci.tar");
            BuildOutcome outcome = kiln.build(
                    built,
                    new ExportTarget.OciArchive(
                            new ArchiveDestination.ToFile(archive), List.of("mine:1"), ImageOptions.defaults()),
                    new ExportTarget.Image(List.of("kiln.invalid/mine:1"), false, ImageOptions.defaults()));
            digest = new String(
                    outcome.result().metadata("containerimage.digest").orElseThrow(), StandardCharsets.UTF_8);
            layout = Files.createDirectories(kiln.dir.resolve("layout"));
            Process untar = new ProcessBuilder("tar", "-xf", archive.toString(), "-C", layout.toString())
                    .redirectErrorStream(true)
                    .start();
            assertThat(untar.waitFor()).isZero();
        }
    }

    @Test
    void ociLayoutSourceUnpacksTheImageFromTheGivenDirectory() throws Exception {
        kiln.locals.put("mystore", layout);
        try {
            Path out = kiln.build(State.ociLayout("mystore@" + digest));
            assertThat(out.resolve("marker")).hasContent("from-layout\n");
            assertThat(out.resolve("bin/busybox")).isRegularFile();
        } finally {
            kiln.locals.remove("mystore");
        }
    }

    @Test
    void resolveImageConfigReadsAnOciLayout() throws Exception {
        ResolvedImageConfig resolved = resolveFromLayoutStore("mystore@" + digest, "");

        assertThat(resolved.digest().toString()).isEqualTo(digest);
        assertThat(ImageConfig.parse(resolved.config()).rootfs().diffIds())
                .as("busybox layer and RUN layer")
                .hasSize(2);
    }

    @Test
    void resolveImageConfigReadsTheStoreItsStoreIdNames() throws Exception {
        // BuildKit's frontend names the image by its context ("base") and the layout by StoreID
        ResolvedImageConfig resolved = resolveFromLayoutStore("docker.io/library/base@" + digest, "mystore");

        assertThat(resolved.digest().toString()).isEqualTo(digest);
    }

    /** A frontend's ResolveImageConfig of {@code ref} in an OCI layout, the layout given to the build as "mystore". */
    private ResolvedImageConfig resolveFromLayoutStore(String ref, String storeId) throws Exception {
        AtomicReference<ResolvedImageConfig> resolved = new AtomicReference<>();
        Map<String, Path> locals = new HashMap<>(kiln.locals);
        locals.put("mystore", layout);
        kiln.engine.build(
                new BuildRequest(
                        new FrontendSpec.Function("probe", client -> {
                            resolved.set(client.resolveImageConfig(
                                    ref,
                                    new ResolveImageConfigOpt(
                                            null,
                                            "default",
                                            "",
                                            ResolveImageConfigOpt.ImageStore.OCI_LAYOUT,
                                            storeId)));
                            return Result.empty();
                        }),
                        Map.of(),
                        locals,
                        List.of()),
                event -> {});
        return resolved.get();
    }

    @Test
    void missingLayoutStoreIsAClearError() {
        assertThatThrownBy(() -> kiln.build(State.ociLayout("nostore@" + digest)))
                .hasMessageContaining("OCI layout store \"nostore\"")
                .hasMessageContaining("--oci-layout nostore=DIR");
    }

    @Test
    void imageStoredLocallyIsUsedWithResolveModeLocalWithoutAnyRegistry() throws Exception {
        Path out = kiln.build(State.image("kiln.invalid/mine:1", ImageOption.ResolveMode.PREFER_LOCAL));
        assertThat(out.resolve("marker")).hasContent("from-layout\n");
    }
}
