package dev.kiln.api.session;

import dev.kiln.core.Digest;
import io.grpc.Status;
import io.grpc.StatusException;
import java.nio.file.Path;

/**
 * A directory of blobs a client lends the daemon, kept as containerd's local store and an OCI layout keep them:
 * {@code DIR/blobs/ALG/HEX}.
 *
 * @param name     what messages call it: its kind and store id
 * @param writable whether the build may add blobs (a local cache) or only read them (the user's OCI layout)
 */
record BlobStore(String name, Path dir, boolean writable) {

    /** The digest {@code text} names; INVALID_ARGUMENT naming the store when it is none, so no text reaches a path. */
    Digest digest(String text) throws StatusException {
        try {
            return Digest.parse(text);
        } catch (IllegalArgumentException e) {
            throw Status.INVALID_ARGUMENT
                    .withDescription(name + ": " + e.getMessage())
                    .asException();
        }
    }

    /** Where the blob of {@code digest} is, whether or not it is there. */
    Path file(Digest digest) {
        return dir.resolve("blobs").resolve(digest.algorithm()).resolve(digest.hex());
    }
}
