package dev.kiln.engine.export;

import dev.kiln.worker.ClientContentStore;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Where an image archive is written: a file (replaced whole, atomically), a stream the caller owns, or for an image
 * layout that is no tar ({@code tar=false}) a directory, or the content store of a daemon's client whose directory it
 * is.
 */
public sealed interface ArchiveDestination {

    /** The file's path, or stdout for a stream (the stream a command line hands over). */
    String describe();

    record ToFile(Path path) implements ArchiveDestination {

        public ToFile {
            path = path.toAbsolutePath().normalize();
        }

        @Override
        public String describe() {
            return path.toString();
        }
    }

    /** An OCI image layout's directory: its files, not a tar of them. */
    record ToDirectory(Path path) implements ArchiveDestination {

        public ToDirectory {
            path = path.toAbsolutePath().normalize();
        }

        @Override
        public String describe() {
            return path + "/";
        }
    }

    /**
     * The content store a daemon's client serves for its layout directory ({@code tar=false} through a session, as
     * BuildKit's exporters write to the store the client calls "export"): the image's blobs only. The client lists
     * the image in its index.json from the export's answer (its descriptor and names).
     */
    record ToClientStore(ClientContentStore store) implements ArchiveDestination {

        public ToClientStore {
            Objects.requireNonNull(store, "store");
        }

        @Override
        public String describe() {
            return "the client's OCI layout";
        }
    }

    /** Stdout, say: written and flushed, never closed. */
    record ToStream(OutputStream out) implements ArchiveDestination {

        public ToStream {
            Objects.requireNonNull(out, "out");
        }

        @Override
        public String describe() {
            return "stdout";
        }
    }
}
