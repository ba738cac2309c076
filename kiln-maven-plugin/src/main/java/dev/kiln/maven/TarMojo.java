package dev.kiln.maven;

import dev.kiln.engine.BuildOutcome;
import dev.kiln.engine.export.ArchiveDestination;
import dev.kiln.engine.export.ExportTarget;
import dev.kiln.engine.export.ImageOptions;
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
    protected ExportTarget target(ImagePlan plan, ImageOptions options) throws MojoExecutionException {
        ArchiveDestination destination = new ArchiveDestination.ToFile(outputFile.toPath());
        return switch (archiveFormat == null ? "docker" : archiveFormat.strip()) {
            case "docker" -> new ExportTarget.DockerArchive(destination, plan.names(), options);
            case "oci" -> new ExportTarget.OciArchive(destination, plan.names(), options);
            default ->
                throw new MojoExecutionException(
                        "kiln: <archiveFormat>: \"" + archiveFormat + "\": expected docker or oci");
        };
    }

    @Override
    protected void done(ImagePlan plan, BuildOutcome outcome) throws MojoExecutionException {
        String digest = imageDigest(outcome).orElse("");
        writeOutput("kiln-image.digest", digest);
        getLog().info("kiln: wrote " + outputFile + " (" + archiveFormat + ", " + plan.name() + ")");
    }
}
