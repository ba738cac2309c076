package dev.kiln.maven;

import dev.kiln.engine.BuildOutcome;
import dev.kiln.engine.export.ExportTarget;
import dev.kiln.engine.export.ImageOptions;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.ResolutionScope;

/**
 * {@code kiln:build}: builds the project's image and pushes it to the registry of {@code <to><image>}, with each
 * of {@code <to><tags>}; writes the pushed digest to {@code target/kiln-image.digest}.
 */
@Mojo(
        name = "build",
        defaultPhase = LifecyclePhase.PACKAGE,
        requiresDependencyResolution = ResolutionScope.RUNTIME_PLUS_SYSTEM,
        threadSafe = true)
public final class BuildMojo extends AbstractKilnMojo {

    @Override
    protected ImagePlan.Purpose purpose() {
        return ImagePlan.Purpose.PUSH;
    }

    @Override
    protected ExportTarget target(ImagePlan plan, ImageOptions options) {
        return new ExportTarget.Image(plan.names(), true, options);
    }

    @Override
    protected void done(ImagePlan plan, BuildOutcome outcome) throws MojoExecutionException {
        String digest = imageDigest(outcome).orElse("");
        writeOutput("kiln-image.digest", digest);
        getLog().info("kiln: pushed " + String.join(", ", plan.names())
                + (digest.isEmpty() ? "" : " (" + digest + ")"));
    }
}
