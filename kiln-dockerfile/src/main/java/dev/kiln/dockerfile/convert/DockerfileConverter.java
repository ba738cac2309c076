package dev.kiln.dockerfile.convert;

import dev.kiln.core.Platform;
import dev.kiln.dockerfile.DockerfileException;
import dev.kiln.dockerfile.instructions.DockerfileStages;
import dev.kiln.dockerfile.parser.ParsedDockerfile;
import dev.kiln.llb.SourceMap;
import dev.kiln.llb.State;
import dev.kiln.oci.ImageConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Converts a parsed Dockerfile into an LLB state and an image config, as BuildKit's dockerfile2llb does: only
 * the stages the target needs are in the graph, so unused stages are never built and independent ones are
 * independent branches the solver runs in parallel.
 */
public final class DockerfileConverter {

    /**
     * A converted Dockerfile.
     *
     * @param state the target stage's filesystem and the graph that makes it
     * @param image the image config of the target
     * @param baseImage the config of the image the target started from, if it started from one
     * @param contextPaths the paths of the build context the build reads ("/" for all)
     * @param warnings the build checks that fired
     * @param platform the platform the build is for
     * @param scanStages the stages other than the target whose SBOM {@code BUILDKIT_SBOM_SCAN_STAGE} asks for, by
     *     stage name, as BuildKit's SBOM targets
     */
    public record Result(
            State state,
            ImageConfig image,
            ImageConfig baseImage,
            Set<String> contextPaths,
            List<Linter.Warning> warnings,
            Platform platform,
            Map<String, State> scanStages) {

        public Result {
            scanStages = Map.copyOf(scanStages);
        }
    }

    private DockerfileConverter() {}

    /**
     * Converts {@code parsed}. The build context is asked for only the paths the build reads: a first pass
     * (with a stand-in for the context) finds them, a second uses them; a build that reads no context never
     * asks for it. Conversion does no I/O that a {@link ConvertSources} cannot cache between the passes.
     *
     * @param checkOption the build checks' configuration ({@code # check=} or the BUILDKIT_DOCKERFILE_CHECK arg)
     * @throws dev.kiln.dockerfile.DockerfileException naming the line of the instruction that cannot be converted
     */
    public static Result convert(
            ParsedDockerfile parsed,
            ConvertOptions options,
            ConvertSources sources,
            SourceMap sourceMap,
            String checkOption)
            throws InterruptedException {
        Input input = new Input(parsed, options, sources, sourceMap, checkOption);
        Result first = input.conversion(Linter.configured(checkOption), State.scratch(), false)
                .run();
        if (first.contextPaths().isEmpty()) {
            return first;
        }
        State context = sources.mainContext(followPaths(first.contextPaths()));
        return input.conversion(Linter.configured(checkOption), context, false).run();
    }

    /**
     * A Dockerfile with what converting it reads.
     *
     * @param checkOption the build checks' configuration ({@code # check=} or the BUILDKIT_DOCKERFILE_CHECK arg)
     */
    public record Input(
            ParsedDockerfile parsed,
            ConvertOptions options,
            ConvertSources sources,
            SourceMap sourceMap,
            String checkOption) {

        private Conversion conversion(Linter lint, State context, boolean allStages) {
            return new Conversion(
                    parsed, DockerfileStages.of(parsed), options, sources, sourceMap, lint, context, allStages);
        }
    }

    /**
     * What the target takes from its caller, as BuildKit's outline subrequest answers: the Dockerfile is converted
     * (base images resolved, nothing solved) without the build context.
     *
     * @throws dev.kiln.dockerfile.DockerfileException naming the line of the instruction that cannot be converted
     */
    public static Outline outline(Input input) throws InterruptedException {
        Conversion conversion = input.conversion(Linter.configured(input.checkOption()), State.scratch(), false);
        conversion.run();
        return conversion.outline();
    }

    /**
     * The build checks' findings, as BuildKit's lint subrequest answers: every stage is converted when no target
     * is named (the build context left out, nothing solved); a Dockerfile that does not convert is the report's
     * error, after the warnings that fired before it.
     */
    public static LintReport lint(Input input) throws InterruptedException {
        Linter linter = Linter.configured(input.checkOption());
        try {
            input.conversion(linter, State.scratch(), input.options().target().isEmpty())
                    .run();
            return new LintReport(linter.warnings(), Optional.empty());
        } catch (DockerfileException e) {
            return new LintReport(linter.warnings(), Optional.of(e));
        }
    }

    /** The warnings of a lint run, and why the Dockerfile does not convert if it does not. */
    public record LintReport(List<Linter.Warning> warnings, Optional<DockerfileException> error) {

        public LintReport {
            warnings = List.copyOf(warnings);
        }
    }

    /** The context paths as follow paths of the local source: relative, sorted; none when all are needed. */
    static List<String> followPaths(Set<String> contextPaths) {
        List<String> paths = new ArrayList<>();
        for (String path : contextPaths) {
            if (path.equals("/")) {
                return List.of();
            }
            paths.add(path.startsWith("/") ? path.substring(1) : path);
        }
        return paths.stream().sorted().toList();
    }
}
