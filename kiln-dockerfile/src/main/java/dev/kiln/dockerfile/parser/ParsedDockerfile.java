package dev.kiln.dockerfile.parser;

import java.util.List;

/**
 * A Dockerfile split into instructions.
 *
 * @param source the file, for error and warning locations
 * @param nodes the instructions in order
 * @param escapeToken the escape character the file chose ({@code \} unless {@code # escape=`})
 * @param directives the parser directives at the top of the file
 * @param warnings what the parser accepted but warns about
 */
public record ParsedDockerfile(
        SourceFile source,
        List<Node> nodes,
        int escapeToken,
        List<DirectiveParser.Directive> directives,
        List<ParseWarning> warnings) {

    public ParsedDockerfile {
        nodes = List.copyOf(nodes);
        directives = List.copyOf(directives);
        warnings = List.copyOf(warnings);
    }
}
