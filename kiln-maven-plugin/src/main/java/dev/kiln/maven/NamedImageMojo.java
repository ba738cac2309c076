package dev.kiln.maven;

import dev.kiln.engine.BuildOutcome;
import dev.kiln.engine.export.ExportTarget;
import dev.kiln.engine.export.ImageOptions;
import org.apache.maven.plugin.MojoExecutionException;

/**
 * A goal whose image goes to its names ({@code <to><image>} and its tags): pushed to their registry
 * ({@code kiln:build}) or kept in Kiln's local image store ({@code kiln:store}). The two differ only in that
 * choice, so it is the one thing a subclass gives.
 */
abstract class NamedImageMojo extends AbstractKilnMojo {

    private final boolean push;

    NamedImageMojo(boolean push) {
        this.push = push;
    }

    @Override
    protected ImagePlan.Purpose purpose() {
        return push ? ImagePlan.Purpose.PUSH : ImagePlan.Purpose.LOCAL;
    }

    @Override
    protected ExportTarget target(ImagePlan plan, ImageOptions options) {
        return new ExportTarget.Image(plan.names(), push, options);
    }

    @Override
    protected void done(ImagePlan plan, BuildOutcome outcome) throws MojoExecutionException {
        String names = String.join(", ", plan.names());
        reportImage(outcome, push ? "pushed " + names : "stored " + names + " in Kiln's image store");
    }
}
