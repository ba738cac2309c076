package dev.kiln.oci.layer;

import dev.kiln.core.BlockOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.CRC32;

/**
 * gzip the way pigz does it: the input is cut into blocks, each deflated on its own virtual thread with the
 * previous block's last 32 KiB as its dictionary and ended by a sync flush, and the pieces are written in order as
 * one deflate stream in one gzip member.
 *
 * <p>Where a block ends depends on the bytes alone, so the output is the same on every run and machine: a block
 * ends when it is full ({@link #BLOCK_SIZE}), or, for a layer tar, after a tar entry once the block holds
 * {@link #MIN_BLOCK} bytes and the entry's name hashes to a cut. Cutting at names rather than at offsets means a
 * file that grows or shrinks moves no later cut: the blocks after it are the same blocks as before, with the same
 * dictionaries, and {@link DeflateBlocks} hands back their deflated bytes from the earlier blob instead of deflating
 * them again. The output differs from single-threaded gzip's by the few bytes each flush costs.
 *
 * <p>A file of {@link #OWN_BLOCKS} bytes or more has blocks of its own: the first starts where its content does,
 * with no dictionary, and the last ends where its content does. Its blocks then depend on its bytes alone, not on what
 * the layer holds before it, so the same file in another layer (a {@code COPY --from} of a stage's output, a
 * dependency jar in the next image) deflates once. It costs that file's first 32 KiB the earlier bytes as a
 * dictionary: W3's and the cache benchmark's layers came out no bigger (bench/layer-export.sh: 5,591,435 bytes
 * against 5,600,943 before for W3).
 */
final class ParallelGzipOutputStream extends BlockOutputStream {
    static final int BLOCK_SIZE = 256 * 1024;
    static final int MIN_BLOCK = 64 * 1024;
    /** Files from this size on have blocks of their own (see above). */
    static final int OWN_BLOCKS = MIN_BLOCK;
    /** One entry name in 16 is a cut: small files give blocks of about 64 KiB plus 16 entries. */
    private static final int CUT_MASK = 15;

    private static final int WINDOW = 32 * 1024;
    /** gzip header: deflate, no name, no mtime, no extra flags, OS unknown; as Go's compress/gzip writes it. */
    private static final byte[] HEADER = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff};

    private final OutputStream out;
    private final int level;
    private final int maxPending;
    private final DeflateBlocks blocks;
    private final ExecutorService compressors = Executors.newVirtualThreadPerTaskExecutor();
    private final Deque<Future<Deflated>> pending = new ArrayDeque<>();
    /**
     * Deflaters, reused block after block: a fresh zlib stream allocates and clears some 270 KB, and W3's 20,000-file
     * layer is some 300 blocks.
     */
    private final ConcurrentLinkedQueue<BlockDeflater> deflaters = new ConcurrentLinkedQueue<>();
    /** What deflates here, for the keys of remembered blocks. */
    private final String deflaterIdentity = BlockDeflater.current();
    /** Block arrays no block needs any more (neither to deflate nor as a dictionary), for the next blocks. */
    private final Deque<byte[]> spareBlocks = new ArrayDeque<>();

    private final CRC32 crc = new CRC32();
    private long length;
    private byte[] block = new byte[BLOCK_SIZE];
    private int filled;
    private byte[] previous;
    private int previousSize;
    /** The next block starts a file's own blocks: it is deflated without {@code previous} as its dictionary. */
    private boolean noDictionary;
    /** Bytes written to {@code out}: where the next block starts in the blob. */
    private long written;

    private boolean finished;

    ParallelGzipOutputStream(OutputStream out, int level) throws IOException {
        this(out, level, DeflateBlocks.NONE);
    }

    ParallelGzipOutputStream(OutputStream out, int level, DeflateBlocks blocks) throws IOException {
        this.out = out;
        this.level = level;
        this.blocks = blocks;
        // Enough blocks in flight to keep every core busy while the oldest is written; also what bounds memory.
        this.maxPending = 2 * Runtime.getRuntime().availableProcessors();
        out.write(HEADER);
        written = HEADER.length;
    }

    /** A tar entry named {@code name} ended with the last byte written: the block may end here (see above). */
    void entryEnd(byte[] name) throws IOException {
        if (filled >= MIN_BLOCK && (fnv1a(name) & CUT_MASK) == 0) {
            submit(false);
        }
    }

    /** Whether a file of {@code size} bytes has blocks of its own. */
    static boolean hasOwnBlocks(long size) {
        return size >= OWN_BLOCKS;
    }

    /** The next byte written is the first of a file that has blocks of its own: the block before it ends here. */
    void ownBlocksStart() throws IOException {
        if (filled > 0) {
            submit(false);
        }
        noDictionary = true;
    }

    /** The last byte written was the last of that file: its last block ends here. */
    void ownBlocksEnd() throws IOException {
        if (filled > 0) {
            submit(false);
        }
    }

    /** FNV-1a, 32 bits: a fixed hash, where String.hashCode's spread over short similar names is poor. */
    private static int fnv1a(byte[] bytes) {
        int hash = 0x811c9dc5;
        for (byte b : bytes) {
            hash = (hash ^ (b & 0xff)) * 0x01000193;
        }
        return hash ^ (hash >>> 16);
    }

    @Override
    public void write(byte[] data, int offset, int count) throws IOException {
        if (finished) {
            throw new IOException("gzip stream already finished");
        }
        crc.update(data, offset, count);
        length += count;
        while (count > 0) {
            int n = Math.min(count, BLOCK_SIZE - filled);
            System.arraycopy(data, offset, block, filled, n);
            filled += n;
            offset += n;
            count -= n;
            if (filled == BLOCK_SIZE) {
                submit(false);
            }
        }
    }

    /** Compresses what is left, writes the trailer; the stream below stays open. */
    void finish() throws IOException {
        if (finished) {
            return;
        }
        submit(true);
        while (!pending.isEmpty()) {
            writeOldest();
        }
        finished = true;
        writeIntLittleEndian(crc.getValue());
        writeIntLittleEndian(length);
    }

    @Override
    public void flush() throws IOException {
        out.flush();
    }

    @Override
    public void close() throws IOException {
        try {
            finish();
            out.close();
        } finally {
            pending.forEach(future -> future.cancel(true));
            compressors.shutdownNow();
            // a block still deflating when the stream is abandoned keeps its deflater; a cleaner frees it
            for (BlockDeflater deflater; (deflater = deflaters.poll()) != null; ) {
                deflater.close();
            }
        }
    }

    private void submit(boolean last) throws IOException {
        byte[] data = block;
        int size = filled;
        byte[] retired = previous;
        byte[] dictionary = noDictionary ? null : previous;
        int dictionarySize = noDictionary ? 0 : previousSize;
        noDictionary = false;
        pending.add(compressors.submit(() -> deflate(data, size, dictionary, dictionarySize, last, retired)));
        previous = data;
        previousSize = size;
        block = spareBlocks.isEmpty() ? new byte[BLOCK_SIZE] : spareBlocks.pop();
        filled = 0;
        while (pending.size() > maxPending) {
            writeOldest();
        }
    }

    private Deflated deflate(
            byte[] data, int size, byte[] dictionary, int dictionarySize, boolean last, byte[] retired) {
        int window = Math.min(WINDOW, dictionarySize);
        DeflateKey key = blocks == DeflateBlocks.NONE
                ? null
                : DeflateKey.of(deflaterIdentity, level, last, dictionary, dictionarySize - window, window, data, size);
        if (key != null) {
            Optional<byte[]> known = blocks.find(key);
            if (known.isPresent()) {
                return new Deflated(key, known.get(), retired);
            }
        }
        BlockDeflater deflater = deflaters.poll();
        if (deflater == null) {
            deflater = BlockDeflater.open(level, BLOCK_SIZE);
        }
        try {
            return new Deflated(
                    key, deflater.deflate(dictionary, dictionarySize - window, window, data, size, last), retired);
        } finally {
            deflaters.offer(deflater);
        }
    }

    private void writeOldest() throws IOException {
        Future<Deflated> oldest = pending.removeFirst();
        try {
            Deflated block = oldest.get();
            out.write(block.bytes());
            if (block.key() != null) {
                blocks.wrote(block.key(), written, block.bytes());
            }
            written += block.bytes().length;
            if (block.retired() != null) {
                // the block before this one: deflated and written already, and no later block reads it
                spareBlocks.push(block.retired());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while compressing a layer");
        } catch (ExecutionException e) {
            throw new IOException("compressing a layer block failed", e.getCause());
        }
    }

    private void writeIntLittleEndian(long value) throws IOException {
        out.write(new byte[] {(byte) value, (byte) (value >>> 8), (byte) (value >>> 16), (byte) (value >>> 24)});
    }

    /**
     * A block's deflated bytes, what they were made from when blocks are remembered, and the block before it (whose
     * end was its dictionary, unless it starts a file's own blocks), free for reuse once this one is written.
     */
    private record Deflated(DeflateKey key, byte[] bytes, byte[] retired) {}
}
