package dev.kiln.maven;

import org.apache.maven.plugin.MojoExecutionException;

/** The goal's failure when the image build itself failed: the build's message once, the same from either engine. */
final class BuildFailure {

    private BuildFailure() {}

    /**
     * Maven's error line appends the message of each cause the line does not contain yet, which repeated the build's
     * error after it (the daemon's as "UNKNOWN: …", the embedded engine's with its step's name and digest) and made
     * the two engines' lines differ; the cause is kept as suppressed, which {@code mvn -e} prints with its stack.
     */
    static MojoExecutionException of(String message, Throwable cause) {
        MojoExecutionException failure = new MojoExecutionException("kiln: the image build failed: " + message);
        failure.addSuppressed(cause);
        return failure;
    }
}
