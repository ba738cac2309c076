package dev.kiln.oci.testing;

import java.io.IOException;

/**
 * The end of a test class's fixtures: what its set-up started (registries, daemons, engines, mounts) is closed in
 * the order given, a fixture that never started (still null, its set-up failed or was skipped) is passed over, and
 * one failure neither stops the others' closing nor hides theirs.
 */
public final class Resources {

    private Resources() {}

    /** Closes each resource that is not null, in order; throws the first failure with the others suppressed. */
    public static void closeAll(AutoCloseable... resources) throws Exception {
        closeFrom(resources, 0);
    }

    /** How a fixture just started is waited for until it serves. */
    @FunctionalInterface
    public interface Readiness<T> {
        void await(T started) throws IOException, InterruptedException;
    }

    /**
     * Gives back {@code started} once {@code ready} has returned; when waiting fails, closes {@code started} (a
     * failure to close is suppressed in the first one) and rethrows, so that a fixture that never served is not left
     * running.
     */
    public static <T extends AutoCloseable> T whenReady(T started, Readiness<? super T> ready)
            throws IOException, InterruptedException {
        try {
            ready.await(started);
            return started;
        } catch (IOException | InterruptedException | RuntimeException e) {
            try {
                started.close();
            } catch (Exception closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
    }

    /**
     * try-with-resources has the semantics wanted: it passes over a null resource, closes the rest when one fails,
     * and suppresses later failures into the first. It closes in reverse order, so the rest is declared first.
     */
    @SuppressWarnings("try") // the resources are there to be closed, not used in the body
    private static void closeFrom(AutoCloseable[] resources, int index) throws Exception {
        if (index == resources.length) {
            return;
        }
        try (AutoCloseable rest = () -> closeFrom(resources, index + 1);
                AutoCloseable resource = resources[index]) {
            // closing them is all there is to do
        }
    }
}
