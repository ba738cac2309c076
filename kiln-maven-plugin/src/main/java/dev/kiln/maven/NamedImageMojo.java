package dev.kiln.maven;

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
    protected ImageOutput output(ImagePlan plan, ImageOutput.ImageAttributes image) {
        return ImageOutput.image(plan.names(), push, image);
    }

    @Override
    protected void done(ImagePlan plan, BuiltImage image) throws MojoExecutionException {
        String names = String.join(", ", plan.names());
        reportImage(image, push ? "pushed " + names : "stored " + names + " in Kiln's image store");
    }
}
