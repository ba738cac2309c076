package dev.kiln.engine.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.core.Digest;
import dev.kiln.core.Platform;
import dev.kiln.oci.ContainerConfig;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.History;
import dev.kiln.oci.ImageConfig;
import dev.kiln.oci.MediaTypes;
import dev.kiln.oci.RootFs;
import dev.kiln.worker.image.LayerBlob;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ImageConfigsTest {

    static final Instant BASE_TIME = Instant.parse("2020-01-01T00:00:00Z");
    static final Instant LAYER_TIME = Instant.parse("2025-05-05T05:05:05Z");
    static final Instant NOW = Instant.parse("2025-06-06T06:06:06Z");

    /** Slots for a result; {@code false} marks a layer with nothing in it. */
    static List<ImageLayers.Slot> slots(boolean... present) {
        List<ImageLayers.Slot> slots = new ArrayList<>();
        for (int i = 0; i < present.length; i++) {
            Digest diffId = Digest.sha256(("layer " + i).getBytes(StandardCharsets.UTF_8));
            ImageLayer layer = new ImageLayer(
                    "layer-" + i,
                    new LayerBlob(
                            Descriptor.of(
                                    MediaTypes.OCI_LAYER_GZIP,
                                    Digest.sha256(("blob " + i).getBytes(StandardCharsets.UTF_8)),
                                    10),
                            diffId,
                            ""),
                    "gzip",
                    LAYER_TIME);
            slots.add(new ImageLayers.Slot("layer-" + i, present[i] ? Optional.of(layer) : Optional.empty()));
        }
        return slots;
    }

    static Optional<byte[]> frontend(List<History> history) {
        return Optional.of(ImageConfig.empty(Platform.of("linux", "arm64"))
                .withConfig(ContainerConfig.EMPTY.withCmd(List.of("serve")).withEnv(List.of("A=1")))
                .withRootFs(RootFs.layers(List.of(Digest.sha256(new byte[] {1}))))
                .withHistory(history)
                .withCreated(LAYER_TIME)
                .toJson());
    }

    static History step(String command, boolean empty) {
        return History.of(BASE_TIME, command, "", empty);
    }

    @Test
    void frontendConfigIsKeptAndItsDiffIdsAreTheExportedLayers() throws Exception {
        List<ImageLayers.Slot> slots = slots(true, true);

        ImageConfig config = ImageConfigs.assemble(
                frontend(List.of(step("base", false), step("RUN make", false))), slots, Optional.empty(), NOW);

        assertThat(config.config().cmd()).containsExactly("serve");
        assertThat(config.architecture()).isEqualTo("arm64");
        assertThat(config.rootfs().diffIds())
                .containsExactly(
                        slots.get(0).layer().orElseThrow().blob().diffId(),
                        slots.get(1).layer().orElseThrow().blob().diffId());
        assertThat(config.history()).extracting(History::createdBy).containsExactly("base", "RUN make");
        assertThat(config.created()).isEqualTo(LAYER_TIME);
    }

    @Test
    void withoutAFrontendConfigTheImageIsForTheHostWithAPathAndAnEntryPerLayer() throws Exception {
        ImageConfig config = ImageConfigs.assemble(Optional.empty(), slots(true, true), Optional.empty(), NOW);

        assertThat(config.platform().normalize()).isEqualTo(Platform.current().normalize());
        assertThat(config.config().env()).containsExactly(ImageConfigs.DEFAULT_PATH);
        assertThat(config.config().workingDir()).isEqualTo("/");
        assertThat(config.history())
                .hasSize(2)
                .allMatch(h -> h.comment().equals(ImageConfigs.ADDED_COMMENT)
                        && !h.emptyLayer()
                        && h.created().equals(LAYER_TIME));
        assertThat(config.created()).isEqualTo(LAYER_TIME);
    }

    @Test
    void historyWithFewerLayersThanTheResultGetsEntriesForTheTopLayers() throws Exception {
        ImageConfig config = ImageConfigs.assemble(
                frontend(List.of(step("base", false), step("ENV A=1", true))),
                slots(true, true, true),
                Optional.empty(),
                NOW);

        assertThat(config.history())
                .extracting(History::createdBy, History::emptyLayer)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("base", false),
                        org.assertj.core.groups.Tuple.tuple("ENV A=1", true),
                        org.assertj.core.groups.Tuple.tuple("layer made by kiln", false),
                        org.assertj.core.groups.Tuple.tuple("layer made by kiln", false));
    }

    @Test
    void historyEntryOfALayerWithNothingInItBecomesEmpty() throws Exception {
        ImageConfig config = ImageConfigs.assemble(
                frontend(List.of(step("base", false), step("RUN true", false), step("RUN make", false))),
                slots(true, false, true),
                Optional.empty(),
                NOW);

        assertThat(config.rootfs().diffIds()).hasSize(2);
        assertThat(config.history()).extracting(History::emptyLayer).containsExactly(false, true, false);
    }

    @Test
    void historyWithMoreLayersThanTheImageHasItsTopSurplusEmptied() throws Exception {
        ImageConfig config = ImageConfigs.assemble(
                frontend(List.of(step("a", false), step("b", false), step("c", false), step("d", false))),
                slots(true, true, false),
                Optional.empty(),
                NOW);

        assertThat(config.history()).extracting(History::emptyLayer).containsExactly(false, false, true, true);
    }

    @Test
    void sourceDateEpochIsTheCreatedTimeAndBoundsEveryHistoryTime() throws Exception {
        Instant epoch = Instant.parse("2023-03-03T03:03:03Z");

        ImageConfig config = ImageConfigs.assemble(
                frontend(List.of(
                        step("base", false),
                        History.of(LAYER_TIME, "RUN make", "", false),
                        History.of(null, "ENV X=1", "", true))),
                slots(true, true),
                Optional.of(epoch),
                NOW);

        assertThat(config.created()).isEqualTo(epoch);
        assertThat(config.history()).extracting(History::created).containsExactly(BASE_TIME, epoch, epoch);
    }

    @Test
    void sourceDateEpochLeavesTheBaseImagesHistoryTimesAsBuildKitDoes() throws Exception {
        Instant epoch = Instant.parse("2019-01-01T00:00:00Z");
        History base = History.of(BASE_TIME, "ADD rootfs", "", false);
        byte[] baseConfig = ImageConfig.empty(Platform.of("linux", "arm64"))
                .withHistory(List.of(base))
                .toJson();

        ImageConfig config = ImageConfigs.assemble(
                new ImageConfigs.FrontendConfigs(
                        frontend(List.of(base, History.of(LAYER_TIME, "RUN make", "", false))),
                        Optional.of(baseConfig)),
                Platform.of("linux", "arm64"),
                slots(true, true),
                Optional.of(epoch),
                NOW);

        assertThat(config.created()).isEqualTo(epoch);
        assertThat(config.history()).extracting(History::created).containsExactly(BASE_TIME, epoch);
    }

    @Test
    void historyWithoutTimesTakesTheLayersAndThePreviousEntrysTimes() throws Exception {
        ImageConfig config = ImageConfigs.assemble(
                frontend(List.of(
                        History.of(null, "WORKDIR /a", "", true),
                        History.of(null, "base", "", false),
                        History.of(null, "ENV X=1", "", true))),
                slots(true),
                Optional.empty(),
                NOW);

        assertThat(config.history()).extracting(History::created).containsExactly(LAYER_TIME, LAYER_TIME, LAYER_TIME);
    }

    @Test
    void scratchResultMakesAnImageWithoutLayers() throws Exception {
        ImageConfig config = ImageConfigs.assemble(Optional.empty(), slots(), Optional.empty(), NOW);

        assertThat(config.rootfs().diffIds()).isEmpty();
        assertThat(config.history()).isEmpty();
        assertThat(config.created()).isEqualTo(NOW);
    }

    @Test
    void frontendConfigThatIsNotAConfigIsAnErrorNamingIt() {
        assertThatThrownBy(() -> ImageConfigs.assemble(
                        Optional.of("{\"os\":1}".getBytes(StandardCharsets.UTF_8)), slots(true), Optional.empty(), NOW))
                .isInstanceOf(java.io.IOException.class)
                .hasMessageContaining("containerimage.config");
    }
}
