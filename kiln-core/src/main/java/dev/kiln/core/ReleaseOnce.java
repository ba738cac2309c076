package dev.kiln.core;

import java.io.Closeable;
import java.io.IOException;

/**
 * What frees a held thing (a mount, a lease on a directory), run by the first close only: a holder closed twice, as
 * try-with-resources and a cleanup path may both do, frees it once.
 */
public final class ReleaseOnce implements Closeable {

    /** The freeing itself. */
    @FunctionalInterface
    public interface Release {
        void run() throws IOException;
    }

    private final Release release;
    private boolean released;

    public ReleaseOnce(Release release) {
        this.release = release;
    }

    @Override
    public synchronized void close() throws IOException {
        if (!released) {
            released = true;
            release.run();
        }
    }
}
