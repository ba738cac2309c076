package dev.kiln.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;

import dev.kiln.core.Digest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An OCI layout's index.json as a type=local cache's writer and reader use it: manifests under tags. */
class LayoutIndexTest {

    @TempDir
    Path dir;

    private static Descriptor manifest(String content) {
        return Descriptor.of(MediaTypes.OCI_MANIFEST, content.getBytes());
    }

    private ImageIndex written() throws IOException {
        return ImageIndex.parse(Files.readAllBytes(dir.resolve("index.json")));
    }

    @Test
    void aPutReplacesTheEntryOfItsTagAndKeepsTheOthers() throws Exception {
        LayoutIndex index = new LayoutIndex(dir);
        index.put(manifest("first"), "latest");
        index.put(manifest("other"), "other");
        index.put(manifest("second"), "latest");

        assertThat(written().manifests())
                .extracting(entry -> entry.annotations().get(LayoutIndex.REF_NAME), Descriptor::digest)
                .containsExactly(
                        tuple("other", manifest("other").digest()),
                        tuple("latest", manifest("second").digest()));
        assertThat(index.manifest("latest"))
                .map(Descriptor::digest)
                .contains(manifest("second").digest());
        assertThat(index.manifest("absent")).isEmpty();
        assertThat(index.tags()).containsExactly("other", "latest");
        assertThat(dir.resolve("oci-layout")).hasContent("{\"imageLayoutVersion\":\"1.0.0\"}");
        try (var files = Files.list(dir)) {
            assertThat(files.map(file -> file.getFileName().toString()))
                    .containsExactlyInAnyOrder("index.json", "oci-layout");
        }
    }

    @Test
    void aLookupTakesContainerdsImageNameBeforeTheRefName() throws Exception {
        Digest byImageName = manifest("by image name").digest();
        Files.write(
                dir.resolve("index.json"),
                ImageIndex.oci(List.of(
                                manifest("by ref name").withAnnotations(Map.of(LayoutIndex.REF_NAME, "v1")),
                                manifest("by image name").withAnnotations(Map.of(LayoutIndex.IMAGE_NAME, "v1"))))
                        .toJson());

        assertThat(new LayoutIndex(dir).manifest("v1")).map(Descriptor::digest).contains(byImageName);
    }

    @Test
    void anIndexThatIsNoIndexIsAnErrorNamingTheFile() throws Exception {
        Files.writeString(dir.resolve("index.json"), "{\"manifests\": 7}");

        assertThatThrownBy(() -> new LayoutIndex(dir).manifest("latest"))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith(dir.resolve("index.json") + " is not an OCI image index: ");
    }

    @Test
    void aNamedPutReplacesOnlyTheEntryOfTheSameImageNameAndTagAndKeepsTheIndexsOwnFields() throws Exception {
        Files.write(
                dir.resolve("index.json"),
                ImageIndex.oci(List.of(manifest("tag only").withAnnotations(Map.of(LayoutIndex.REF_NAME, "1"))))
                        .withAnnotations(Map.of("made.by", "someone else"))
                        .toJson());
        LayoutIndex index = new LayoutIndex(dir);
        LayoutIndex.Name app1 = new LayoutIndex.Name("example.com/app:1", "1");
        index.put(manifest("app 1"), List.of(app1, new LayoutIndex.Name("example.com/other:1", "1")));
        index.put(manifest("app 1 again"), List.of(app1));

        assertThat(written().annotations()).containsEntry("made.by", "someone else");
        assertThat(written().manifests())
                .extracting(entry -> entry.annotations().get(LayoutIndex.IMAGE_NAME), Descriptor::digest)
                .containsExactly(
                        tuple(null, manifest("tag only").digest()),
                        tuple("example.com/other:1", manifest("app 1").digest()),
                        tuple("example.com/app:1", manifest("app 1 again").digest()));
    }

    @Test
    void putsFromManyThreadsToOneDirectoryLoseNoEntry() throws Exception {
        int threads = 8;
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(threads)) {
            List<java.util.concurrent.Future<?>> puts = new java.util.ArrayList<>();
            for (int i = 0; i < threads; i++) {
                String tag = "t" + i;
                puts.add(pool.submit(() -> {
                    new LayoutIndex(dir).put(manifest(tag), tag);
                    return null;
                }));
            }
            for (var put : puts) {
                put.get();
            }
        }

        assertThat(new LayoutIndex(dir).tags()).hasSize(threads);
    }
}
