package dev.kiln.oci.layer;

import java.util.Optional;

/**
 * Deflated blocks of earlier layer writes, found by what they were deflated from, so that a layer which differs from
 * an earlier one in a few files is not compressed again in full. A block's {@link DeflateKey} covers its input, the
 * dictionary it was deflated with, whether it ends the stream and the compression level: zlib is deterministic, so
 * reused bytes are the bytes deflating again would give, and the blob's digest does not depend on whether a block
 * was found.
 */
public interface DeflateBlocks {

    /** Remembers nothing and finds nothing: every block is deflated. */
    DeflateBlocks NONE = new DeflateBlocks() {
        @Override
        public Optional<byte[]> find(DeflateKey key) {
            return Optional.empty();
        }

        @Override
        public void wrote(DeflateKey key, long offset, byte[] deflated) {}
    };

    /** The deflated bytes of the block {@code key} names, when a blob still holds them intact. */
    Optional<byte[]> find(DeflateKey key);

    /** The blob being written holds {@code deflated}, made from {@code key}'s input, at byte {@code offset}. */
    void wrote(DeflateKey key, long offset, byte[] deflated);
}
