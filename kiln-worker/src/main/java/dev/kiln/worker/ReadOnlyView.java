package dev.kiln.worker;

import dev.kiln.worker.snapshot.Mounted;
import java.io.IOException;
import java.nio.file.Path;

/** A result's files, mounted (or, for {@link Worker#read}, a single layer in place) for reading until closed. */
public final class ReadOnlyView implements AutoCloseable {

    private final Mounted mounted;

    ReadOnlyView(Mounted mounted) {
        this.mounted = mounted;
    }

    public Path root() {
        return mounted.path();
    }

    /** Reads that stay inside the result, whatever its symlinks say. */
    public ScopedReads files() {
        return new ScopedReads(mounted.path(), mounted.inPlace());
    }

    @Override
    public void close() throws IOException {
        mounted.close();
    }
}
