package dev.kiln.maven;

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
public final class BuildMojo extends NamedImageMojo {

    public BuildMojo() {
        super(true);
    }
}
