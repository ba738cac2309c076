package dev.kiln.maven;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What the plugin takes from the Maven project, read once by the mojo so that {@link ImagePlan} can be made (and
 * tested) without Maven.
 *
 * @param basedir            the project's directory
 * @param buildDirectory     {@code target/}
 * @param classesDirectory   {@code target/classes}: compiled classes and processed resources
 * @param dependencies       the runtime dependencies, in the project's order
 * @param jarMainClass       maven-jar-plugin's {@code <archive><manifest><mainClass>}, if the POM sets it
 * @param outputTimestamp    {@code project.build.outputTimestamp}, if set
 * @param javaRelease        the release the project compiles for (maven.compiler.release or target), if known
 */
public record ProjectFacts(
        String artifactId,
        String version,
        Path basedir,
        Path buildDirectory,
        Path classesDirectory,
        List<Dependency> dependencies,
        Optional<String> jarMainClass,
        Optional<String> outputTimestamp,
        Optional<String> javaRelease) {

    public ProjectFacts {
        dependencies = List.copyOf(dependencies);
    }

    /** One resolved dependency: its file (a jar) and whether its version is a snapshot. */
    public record Dependency(String groupId, String artifactId, String version, Path file, boolean snapshot) {}
}
