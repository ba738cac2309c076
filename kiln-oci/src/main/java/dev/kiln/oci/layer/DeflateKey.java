package dev.kiln.oci.layer;

import dev.kiln.core.Sha256;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * What a deflated block was made from, as a SHA-256: the zlib that deflated it ({@link BlockDeflater#current}: another
 * zlib may pick other bytes for the same input, and a block it made must not stand where this one would deflate
 * otherwise), the compression level, whether the block ends the stream, the dictionary and the input, with their
 * lengths. Four longs, so keys compare and hash cheaply in memory and take 32 bytes on disk.
 */
public record DeflateKey(long a, long b, long c, long d) {
    static final int BYTES = 32;

    static DeflateKey of(
            String deflater,
            int level,
            boolean last,
            byte[] dictionary,
            int dictionaryOffset,
            int dictionaryLength,
            byte[] data,
            int size) {
        MessageDigest sha = Sha256.engine();
        sha.update(deflater.getBytes(StandardCharsets.UTF_8));
        // The lengths go in too: the same bytes split otherwise between dictionary and input deflate otherwise.
        sha.update(ByteBuffer.allocate(10)
                .put((byte) level)
                .put((byte) (last ? 1 : 0))
                .putInt(dictionaryLength)
                .putInt(size)
                .array());
        if (dictionaryLength > 0) {
            sha.update(dictionary, dictionaryOffset, dictionaryLength);
        }
        sha.update(data, 0, size);
        return read(ByteBuffer.wrap(sha.digest()));
    }

    static DeflateKey read(ByteBuffer in) {
        return new DeflateKey(in.getLong(), in.getLong(), in.getLong(), in.getLong());
    }

    void write(ByteBuffer out) {
        out.putLong(a).putLong(b).putLong(c).putLong(d);
    }
}
