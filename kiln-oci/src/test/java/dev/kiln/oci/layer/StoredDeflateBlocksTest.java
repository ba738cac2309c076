package dev.kiln.oci.layer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.core.Digest;
import dev.kiln.oci.content.BlobWriter;
import dev.kiln.oci.content.ContentStore;
import dev.kiln.oci.testing.TextTree;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.SortedMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A gzip layer written again after one file changed reuses the deflated blocks of the earlier blob, and the blob is
 * byte for byte the one a write without any earlier blocks makes; blocks whose blob is damaged or gone are deflated
 * again.
 */
class StoredDeflateBlocksTest {
    @TempDir
    Path temp;

    private Path tree;
    private ContentStore content;
    private Path index;

    @BeforeEach
    void sourceTree() throws IOException {
        tree = TextTree.write(Files.createDirectory(temp.resolve("tree")));
        content = ContentStore.open(temp.resolve("content"));
        index = temp.resolve("content").resolve("deflate-blocks");
    }

    @Test
    void aFileThatGrewCostsAFewBlocksAndTheBlobIsTheOneAFreshWriteMakes() throws IOException {
        Written first = write(StoredDeflateBlocks.open(content, index));
        assertThat(first.found()).isZero();
        assertThat(first.blocks()).isGreaterThan(20);

        Files.writeString(tree.resolve("dir3/file1503.txt"), "a longer line than before\n".repeat(40));
        Written second = write(StoredDeflateBlocks.open(content, index));
        Written fresh = write(DeflateBlocks.NONE);

        assertThat(second.digest()).isEqualTo(fresh.digest()).isNotEqualTo(first.digest());
        assertThat(second.blocks() - second.found()).isBetween(1, 3);
        SortedMap<String, String> unpacked = LayerTrees.describe(unpack(second.digest()));
        assertThat(unpacked).containsExactlyEntriesOf(LayerTrees.describe(tree));
    }

    @Test
    void aBigFileDeflatesOnceWhereverAnotherLayerHoldsIt() throws IOException {
        byte[] big = new byte[700_000];
        new java.util.Random(11).ints(big.length, 'a', 'z' + 1).forEach(new java.util.function.IntConsumer() {
            private int at;

            @Override
            public void accept(int letter) {
                big[at++] = (byte) (at % 61 == 0 ? '\n' : letter);
            }
        });
        // a stage's output: the big file alone
        tree = Files.createDirectories(temp.resolve("stage/deps")).getParent();
        Files.write(tree.resolve("deps/big.bin"), big);
        Written stage = write(StoredDeflateBlocks.open(content, index));
        // a later layer copies it among other files, which come before it and change its offset in the tar
        tree = Files.createDirectories(temp.resolve("copy/deps")).getParent();
        Files.writeString(tree.resolve("deps/a-first.txt"), "what comes first\n".repeat(9_000));
        Files.write(tree.resolve("deps/big.bin"), big);
        Files.writeString(tree.resolve("deps/z-last.txt"), "what comes last\n".repeat(500));
        Written copy = write(StoredDeflateBlocks.open(content, index));
        Written fresh = write(DeflateBlocks.NONE);

        int bigBlocks = (big.length + ParallelGzipOutputStream.BLOCK_SIZE - 1) / ParallelGzipOutputStream.BLOCK_SIZE;
        assertThat(stage.found()).isZero();
        assertThat(copy.found()).isEqualTo(bigBlocks);
        assertThat(copy.digest()).isEqualTo(fresh.digest());
        assertThat(LayerTrees.describe(unpack(copy.digest()))).containsExactlyEntriesOf(LayerTrees.describe(tree));
    }

    @Test
    void aDamagedOrPrunedBlobIsDeflatedAgain() throws IOException {
        Written first = write(StoredDeflateBlocks.open(content, index));
        Path blob = content.blobPath(first.digest());
        byte[] bytes = Files.readAllBytes(blob);
        try (RandomAccessFile file = new RandomAccessFile(blob.toFile(), "rw")) {
            file.seek(bytes.length / 2);
            file.write(~bytes[bytes.length / 2]); // one block's bytes no longer match their CRC
        }
        Files.writeString(tree.resolve("dir0/file0.txt"), "changed");

        Written damaged = write(StoredDeflateBlocks.open(content, index));
        assertThat(damaged.digest()).isEqualTo(write(DeflateBlocks.NONE).digest());
        assertThat(damaged.found()).isLessThan(damaged.blocks() - 1);

        content.delete(damaged.digest());
        content.delete(first.digest());
        Written pruned = write(StoredDeflateBlocks.open(content, index));
        assertThat(pruned.found()).isZero();
        assertThat(pruned.digest()).isEqualTo(damaged.digest());
    }

    @Test
    void onlyTheNewestIndexesAreKept() throws IOException {
        tree = Files.createDirectories(temp.resolve("small/dir1")).getParent();
        for (int i = 0; i < StoredDeflateBlocks.KEPT + 3; i++) {
            Files.writeString(tree.resolve("dir1/round.txt"), "round " + i);
            write(StoredDeflateBlocks.open(content, index));
        }
        try (Stream<Path> files = Files.list(index)) {
            assertThat(files.count()).isEqualTo(StoredDeflateBlocks.KEPT);
        }
    }

    /** Writes the tree's layer into the content store, counting the blocks found in {@code blocks}. */
    private Written write(DeflateBlocks blocks) throws IOException {
        AtomicInteger found = new AtomicInteger();
        AtomicInteger total = new AtomicInteger();
        DeflateBlocks counting = new DeflateBlocks() {
            @Override
            public Optional<byte[]> find(DeflateKey key) {
                total.incrementAndGet();
                Optional<byte[]> block = blocks.find(key);
                block.ifPresent(bytes -> found.incrementAndGet());
                return block;
            }

            @Override
            public void wrote(DeflateKey key, long offset, byte[] deflated) {
                blocks.wrote(key, offset, deflated);
            }
        };
        Digest digest;
        try (BlobWriter blob = content.writer(null, -1)) {
            LayerWriter.write(tree, blob, LayerWriteOptions.defaults().withBlocks(counting));
            digest = blob.commit();
        }
        if (blocks instanceof StoredDeflateBlocks stored) {
            stored.remember(digest);
        }
        return new Written(digest, total.get(), found.get());
    }

    private Path unpack(Digest digest) throws IOException {
        Path target = Files.createTempDirectory(temp, "unpacked");
        LayerUnpacker.apply(new ByteArrayInputStream(content.read(digest)), target);
        return target;
    }

    private record Written(Digest digest, int blocks, int found) {}
}
