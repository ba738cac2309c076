package dev.kiln.worker;

import dev.kiln.core.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;

/**
 * A content store at the client's end of a session (BuildKit's session content store): where a daemon's build reads
 * and writes the blobs of a type=local cache whose directory is on the client's host, never on the daemon's.
 */
public interface ClientContentStore {

    /** Whether the store holds the blob. */
    boolean has(Digest digest) throws IOException;

    /** Writes the blob, whose bytes are the file's; the client checks them against the digest before it keeps them. */
    void write(Digest digest, Path file) throws IOException;

    /** Writes a small blob from memory. */
    void write(Digest digest, byte[] bytes) throws IOException;

    /** The blob's bytes, streamed from the client. */
    InputStream read(Digest digest) throws IOException;
}
