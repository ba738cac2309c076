package dev.kiln.maven;

import java.io.File;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.plugins.annotations.ResolutionScope;

/**
 * {@code kiln:tar}: writes the project's image to an archive, a Docker archive ({@code docker load}, as Jib's
 * buildTar) or an OCI image layout ({@code <archiveFormat>oci}), named {@code <to><image>} (default
 * {@code artifactId:version}).
 */
@Mojo(
        name = "tar",
        defaultPhase = LifecyclePhase.PACKAGE,
        requiresDependencyResolution = ResolutionScope.RUNTIME_PLUS_SYSTEM,
        threadSafe = true)
public final class TarMojo extends AbstractKilnMojo {

    /** Where the archive goes. */
    @Parameter(property = "kiln.outputFile", defaultValue = "${project.build.directory}/kiln-image.tar")
    private File outputFile;

    /** {@code docker} (what docker load reads) or {@code oci} (an OCI image layout in a tar). */
    @Parameter(property = "kiln.archiveFormat", defaultValue = "docker")
    private String archiveFormat;

    @Override
    protected ImagePlan.Purpose purpose() {
        return ImagePlan.Purpose.LOCAL;
    }

    @Override
    protected ImageOutput output(ImagePlan plan, ImageOutput.ImageAttributes image) throws MojoExecutionException {
        String format = archiveFormat == null ? "docker" : archiveFormat.strip();
        if (!format.equals("docker") && !format.equals("oci")) {
            throw new MojoExecutionException(
                    "kiln: <archiveFormat>: \"" + archiveFormat + "\": expected docker or oci");
        }
        return ImageOutput.archive(format, outputFile.toPath(), plan.names(), image);
    }

    @Override
    protected void done(ImagePlan plan, BuiltImage image) throws MojoExecutionException {
        writeOutput("kiln-image.digest", image.digest().orElse(""));
        getLog().info("kiln: wrote " + outputFile + " (" + archiveFormat + ", " + plan.name() + ")");
    }
}
