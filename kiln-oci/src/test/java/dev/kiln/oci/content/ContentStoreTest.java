package dev.kiln.oci.content;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.core.Digest;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class ContentStoreTest {
    private static final byte[] CONTENT =
            "the quick brown fox jumps over the lazy dog\n".repeat(5000).getBytes(StandardCharsets.UTF_8);
    private static final Digest DIGEST = Digest.sha256(CONTENT);

    @TempDir
    Path dir;

    @Test
    void storedBlobReadsBackUnderBlobsSha256() throws IOException {
        ContentStore store = ContentStore.open(dir);

        Digest digest = store.write(CONTENT);

        assertThat(digest).isEqualTo(DIGEST);
        assertThat(store.exists(digest)).isTrue();
        assertThat(store.info(digest)).contains(new BlobInfo(digest, CONTENT.length));
        assertThat(dir.resolve("blobs/sha256/" + digest.hex())).hasBinaryContent(CONTENT);
        try (InputStream in = store.open(digest)) {
            assertThat(in.readAllBytes()).isEqualTo(CONTENT);
        }
        assertThat(ingestFiles()).isEmpty();
    }

    /**
     * A blob that cannot be moved into blobs/ (here a file stands where its directory goes; on a full disk, the
     * rename's directory entry) leaves none of its bytes in ingest/, whether its digest was known or not.
     */
    @Test
    void aBlobThatCannotBePublishedLeavesNothingInIngest() throws IOException {
        ContentStore store = ContentStore.open(dir);
        Files.createDirectories(dir.resolve("blobs"));
        Files.deleteIfExists(dir.resolve("blobs/sha256"));
        Files.writeString(dir.resolve("blobs/sha256"), "not a directory");

        for (Digest expected : new Digest[] {null, DIGEST}) {
            assertThatThrownBy(() -> {
                        try (BlobWriter writer = store.writer(expected, -1)) {
                            writer.write(CONTENT);
                            writer.commit();
                        }
                    })
                    .isInstanceOf(IOException.class);
            // (a known digest's lock file may stay, as after any refused write: it holds no content)
            assertThat(ingestFiles())
                    .as("after a writer for %s", expected)
                    .noneMatch(name -> name.endsWith(".partial") || name.startsWith("tmp-"));
        }
    }

    /** A writer that cannot start (its thread interrupted as it opens its file) leaves no temporary file behind. */
    @Test
    void aTemporaryWriterThatCannotStartLeavesNothingInIngest() throws IOException {
        ContentStore store = ContentStore.open(dir);

        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> store.writer(null, -1)).isInstanceOf(IOException.class);
        } finally {
            Thread.interrupted();
        }

        assertThat(ingestFiles()).noneMatch(name -> name.startsWith("tmp-"));
    }

    @Test
    void contentThatDoesNotMatchItsDigestIsRefusedAndNothingStays() throws IOException {
        ContentStore store = ContentStore.open(dir);
        byte[] corrupt = CONTENT.clone();
        corrupt[100] ^= 1;

        assertThatThrownBy(() -> {
                    try (BlobWriter writer = store.writer(DIGEST, CONTENT.length)) {
                        writer.write(corrupt);
                        writer.commit();
                    }
                })
                .isInstanceOfSatisfying(DigestMismatchException.class, e -> {
                    assertThat(e.expectedDigest()).isEqualTo(DIGEST);
                    assertThat(e.actualDigest()).isEqualTo(Digest.sha256(corrupt));
                    assertThat(e)
                            .hasMessage("blob " + DIGEST + " refused: content does not match its digest: expected "
                                    + DIGEST + " (" + CONTENT.length + " bytes), got " + Digest.sha256(corrupt) + " ("
                                    + CONTENT.length + " bytes)");
                });

        assertThat(store.exists(DIGEST)).isFalse();
        assertThat(store.ingestedBytes(DIGEST)).isZero();
        assertThat(ingestFiles()).noneMatch(name -> name.endsWith(".partial") || name.startsWith("tmp-"));
    }

    @Test
    void contentOfTheWrongSizeIsRefused() throws IOException {
        ContentStore store = ContentStore.open(dir);

        assertThatThrownBy(() -> {
                    try (BlobWriter writer = store.writer(DIGEST, 10)) {
                        writer.write(CONTENT);
                    }
                })
                .isInstanceOf(DigestMismatchException.class)
                .hasMessageContaining("does not have the expected size");
        assertThatThrownBy(() -> {
                    try (BlobWriter writer = store.writer(null, CONTENT.length + 1)) {
                        writer.write(CONTENT);
                        writer.commit();
                    }
                })
                .isInstanceOf(DigestMismatchException.class)
                .hasMessageContaining("expected (" + (CONTENT.length + 1) + " bytes), got " + DIGEST);
        assertThat(store.exists(DIGEST)).isFalse();
        assertThat(ingestFiles()).noneMatch(name -> name.endsWith(".partial") || name.startsWith("tmp-"));
    }

    @Test
    void interruptedIngestContinuesWhereItStopped() throws IOException {
        ContentStore store = ContentStore.open(dir);
        int half = CONTENT.length / 2;
        try (BlobWriter first = store.writer(DIGEST, CONTENT.length)) {
            first.write(CONTENT, 0, half);
        }
        assertThat(store.ingestedBytes(DIGEST)).isEqualTo(half);
        assertThat(store.exists(DIGEST)).isFalse();

        try (BlobWriter second = ContentStore.open(dir).writer(DIGEST, CONTENT.length)) {
            assertThat(second.offset()).isEqualTo(half);
            second.write(CONTENT, half, CONTENT.length - half);
            assertThat(second.commit()).isEqualTo(DIGEST);
        }

        assertThat(store.read(DIGEST)).isEqualTo(CONTENT);
        assertThat(store.ingestedBytes(DIGEST)).isZero();
    }

    @Test
    void restartDiscardsWhatAResumedIngestHad() throws IOException {
        ContentStore store = ContentStore.open(dir);
        try (BlobWriter first = store.writer(DIGEST, CONTENT.length)) {
            first.write("garbage".getBytes());
        }

        try (BlobWriter second = store.writer(DIGEST, CONTENT.length)) {
            assertThat(second.offset()).isEqualTo(7);
            second.restart();
            second.write(CONTENT);
            second.commit();
        }

        assertThat(store.read(DIGEST)).isEqualTo(CONTENT);
    }

    @Test
    void writerForAStoredBlobHasNothingToWrite() throws IOException {
        ContentStore store = ContentStore.open(dir);
        store.write(CONTENT);

        try (BlobWriter writer = store.writer(DIGEST, CONTENT.length)) {
            assertThat(writer.alreadyStored()).isTrue();
            assertThat(writer.offset()).isEqualTo(CONTENT.length);
            assertThatThrownBy(() -> writer.write(1))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("already stored");
            assertThat(writer.commit()).isEqualTo(DIGEST);
        }
    }

    @Test
    void concurrentWritersOfOneDigestStoreItOnce() throws Exception {
        ContentStore store = ContentStore.open(dir);
        AtomicInteger wrote = new AtomicInteger();
        List<Future<Digest>> results = new ArrayList<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 16; i++) {
                results.add(threads.submit(() -> {
                    try (BlobWriter writer = store.writer(DIGEST, CONTENT.length)) {
                        if (!writer.alreadyStored()) {
                            wrote.incrementAndGet();
                            for (int at = (int) writer.offset(); at < CONTENT.length; at += 1000) {
                                writer.write(CONTENT, at, Math.min(1000, CONTENT.length - at));
                            }
                        }
                        return writer.commit();
                    }
                }));
            }
        }

        for (Future<Digest> result : results) {
            assertThat(result.get()).isEqualTo(DIGEST);
        }
        assertThat(wrote).hasValue(1);
        assertThat(store.read(DIGEST)).isEqualTo(CONTENT);
        assertThat(ingestFiles()).isEmpty();
    }

    @Test
    void uncommittedWriterOfUnknownDigestLeavesNothing() throws IOException {
        ContentStore store = ContentStore.open(dir);
        try (BlobWriter writer = store.writer(null, -1)) {
            writer.write(CONTENT);
        }

        assertThat(store.exists(DIGEST)).isFalse();
        assertThat(ingestFiles()).isEmpty();
    }

    @Test
    void deletedBlobIsGoneAndOpeningItNamesTheDigest() throws IOException {
        ContentStore store = ContentStore.open(dir);
        store.write(CONTENT);

        assertThat(store.delete(DIGEST)).isTrue();
        assertThat(store.delete(DIGEST)).isFalse();
        assertThat(store.info(DIGEST)).isEmpty();
        assertThatThrownBy(() -> store.open(DIGEST))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("blob " + DIGEST + " is not in the content store at " + dir);
    }

    @Test
    void openingTheStoreDeletesTemporaryFilesOfKilledWritersAndKeepsTheRest() throws IOException {
        ContentStore.open(dir);
        Path ingest = dir.resolve("ingest");
        Path stale = Files.write(ingest.resolve("tmp-" + UUID.randomUUID()), new byte[100_000]);
        Path staleEmpty = Files.createFile(ingest.resolve("tmp-" + UUID.randomUUID()));
        Path partial = Files.write(ingest.resolve("sha256-" + DIGEST.hex() + ".partial"), new byte[10]);
        Path lockFile = Files.createFile(ingest.resolve("sha256-" + DIGEST.hex() + ".lock"));
        Path unrelated = Files.writeString(ingest.resolve("notes.txt"), "not Kiln's");

        ContentStore store = ContentStore.open(dir);

        assertThat(stale).doesNotExist();
        assertThat(staleEmpty).doesNotExist();
        assertThat(partial).exists();
        assertThat(lockFile).exists();
        assertThat(unrelated).hasContent("not Kiln's");
        assertThat(store.ingestedBytes(DIGEST)).isEqualTo(10);
    }

    @Test
    void temporaryFileBeingWrittenInThisProcessSurvivesAnotherOpen() throws IOException {
        ContentStore store = ContentStore.open(dir);
        try (BlobWriter writer = store.writer(null, -1)) {
            writer.write(CONTENT);
            writer.flush();

            ContentStore.open(dir);

            assertThat(ingestFiles()).singleElement().asString().startsWith("tmp-");
            assertThat(writer.commit()).isEqualTo(DIGEST);
        }
        assertThat(store.read(DIGEST)).isEqualTo(CONTENT);
    }

    @Test
    @Timeout(60)
    void temporaryFileOfAWriterKilledWithSigkillIsDeletedAtTheNextOpen() throws Exception {
        ContentStore.open(dir);
        String java = ProcessHandle.current().info().command().orElse("java");
        Process writer = new ProcessBuilder(
                        java,
                        "-cp",
                        System.getProperty("java.class.path"),
                        IngestingProcess.class.getName(),
                        dir.toString())
                .redirectErrorStream(true)
                .start();
        try {
            BufferedReader out =
                    new BufferedReader(new InputStreamReader(writer.getInputStream(), StandardCharsets.UTF_8));
            assertThat(out.readLine()).isEqualTo("writing");
            List<String> written = ingestFiles();
            assertThat(written).singleElement().asString().startsWith("tmp-");

            // Alive, the other process holds its file's lock: opening the store leaves the file alone.
            ContentStore.open(dir);
            assertThat(ingestFiles()).isEqualTo(written);
            assertThat(Files.size(dir.resolve("ingest").resolve(written.getFirst())))
                    .isEqualTo(256 << 10);

            writer.destroyForcibly();
            assertThat(writer.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(ingestFiles()).isEqualTo(written);

            ContentStore.open(dir);

            assertThat(ingestFiles()).isEmpty();
        } finally {
            writer.destroyForcibly();
        }
    }

    private List<String> ingestFiles() throws IOException {
        try (Stream<Path> files = Files.list(dir.resolve("ingest"))) {
            return files.map(path -> path.getFileName().toString()).toList();
        }
    }
}
