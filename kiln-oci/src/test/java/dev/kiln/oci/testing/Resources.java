package dev.kiln.oci.testing;

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
