package dev.kiln.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.worker.snapshot.Snapshotter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A layer's measure is taken once and kept on disk until a commit links files of the layer: then it is
 * taken again, also by the next process, also when that process died while the links were made, and a measure that
 * overlapped the links is not kept.
 */
class LayerMeasuresTest {

    private static final String LAYER = "abcdefghij";
    private static final DiskUsage.LayerFiles ONE_NAME =
            new DiskUsage.LayerFiles(300_000, new long[0], new long[0], new long[0]);

    @TempDir
    Path dir;

    Path measuresDir;
    Path layer;
    final AtomicInteger walks = new AtomicInteger();

    @BeforeEach
    void layer() throws IOException {
        measuresDir = dir.resolve("measures");
        layer = Files.createDirectory(dir.resolve(LAYER));
    }

    /** Measures the layer, counting the walks. */
    private DiskUsage.LayerFiles measure(LayerMeasures measures) {
        return measure(measures, root -> ONE_NAME);
    }

    private DiskUsage.LayerFiles measure(LayerMeasures measures, Function<Path, DiskUsage.LayerFiles> walk) {
        return measures.of(LAYER, layer, root -> {
            walks.incrementAndGet();
            return walk.apply(root);
        });
    }

    @Test
    void aMeasureIsKeptForTheProcessAndTheNextUntilTheLayersFilesAreLinked() throws IOException {
        LayerMeasures measures = new LayerMeasures(measuresDir);
        assertThat(measure(measures)).isSameAs(ONE_NAME);
        measure(measures);
        measure(new LayerMeasures(measuresDir));
        assertThat(walks).as("taken once, then kept on disk").hasValue(1);

        measures.linking(Set.of(LAYER)).close();

        measure(measures);
        assertThat(walks).as("taken again after the links").hasValue(2);
    }

    @Test
    void theNextProcessMeasuresALayerWhoseLinksADeadOneWasMaking() throws IOException {
        LayerMeasures measures = new LayerMeasures(measuresDir);
        measure(measures);
        measure(new LayerMeasures(measuresDir));
        assertThat(walks).hasValue(1);

        // the process dies while it makes the links: the linking is never closed
        measures.linking(Set.of(LAYER));

        measure(new LayerMeasures(measuresDir));
        assertThat(walks).hasValue(2);
    }

    @Test
    void aMeasureTakenWhileLinksAreMadeIsNotKept() throws IOException {
        LayerMeasures measures = new LayerMeasures(measuresDir);
        Snapshotter.LayerLinks.Linking linking = measures.linking(Set.of("klmnopqrst"));
        measure(measures);
        linking.close();

        measure(measures);
        measure(new LayerMeasures(measuresDir));
        assertThat(walks).as("the first measure was used once").hasValue(2);
    }

    @Test
    void aMeasureBegunBeforeLinksAreMadeIsNotKept() throws IOException {
        LayerMeasures measures = new LayerMeasures(measuresDir);
        // the layer's files are walked, then a commit links one of them before the measure is kept
        measure(measures, root -> {
            try {
                measures.linking(Set.of(LAYER)).close();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return ONE_NAME;
        });

        measure(measures);
        measure(new LayerMeasures(measuresDir));
        assertThat(walks).hasValue(2);
    }
}
