package dev.kiln.maven;

import dev.kiln.engine.BuildOutcome;
import dev.kiln.engine.export.ExportTarget;
import dev.kiln.engine.export.ImageOptions;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.ResolutionScope;

/**
 * {@code kiln:store}: builds the project's image into Kiln's local image store under {@code <to><image>} (default
 * {@code artifactId:version}), as {@code kiln build --output type=image,name=...} keeps it: no registry is needed,
 * and later builds on the same state can use it.
 */
@Mojo(
        name = "store",
        defaultPhase = LifecyclePhase.PACKAGE,
        requiresDependencyResolution = ResolutionScope.RUNTIME_PLUS_SYSTEM,
        threadSafe = true)
public final class StoreMojo extends AbstractKilnMojo {

    @Override
    protected ImagePlan.Purpose purpose() {
        return ImagePlan.Purpose.LOCAL;
    }

    @Override
    protected ExportTarget target(ImagePlan plan, ImageOptions options) {
        return new ExportTarget.Image(plan.names(), false, options);
    }

    @Override
    protected void done(ImagePlan plan, BuildOutcome outcome) throws MojoExecutionException {
        String digest = imageDigest(outcome).orElse("");
        writeOutput("kiln-image.digest", digest);
        getLog().info("kiln: stored " + String.join(", ", plan.names()) + " in Kiln's image store"
                + (digest.isEmpty() ? "" : " (" + digest + ")"));
    }
}
