package dev.kiln.maven;

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
public final class StoreMojo extends NamedImageMojo {

    public StoreMojo() {
        super(false);
    }
}
