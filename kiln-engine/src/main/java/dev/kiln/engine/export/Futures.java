package dev.kiln.engine.export;

import java.io.IOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/** The result of work an exporter ran on another thread, its failure rethrown as the work threw it. */
final class Futures {
    private Futures() {}

    /** Waits for {@code task}; an IOException or RuntimeException of the task is thrown as it is, anything else wrapped. */
    static <T> T get(Future<T> task) throws IOException, InterruptedException {
        try {
            return task.get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IOException(cause.getMessage(), cause);
        }
    }
}
