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
        Exception failure = null;
        for (AutoCloseable resource : resources) {
            if (resource == null) {
                continue;
            }
            try {
                resource.close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
