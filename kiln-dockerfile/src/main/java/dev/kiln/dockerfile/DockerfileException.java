package dev.kiln.dockerfile;

import dev.kiln.core.SourceFrame;
import dev.kiln.dockerfile.parser.SourceFile;
import java.util.Optional;

/**
 * A Dockerfile that cannot be built as written: a syntax error, a bad flag, an unknown stage. It knows the file (its
 * name and bytes) and the lines (1-based; 0 when the problem is not on a line), which travel beside the message as
 * BuildKit's errdefs.Source ({@link #lines()}), so that buildctl and kiln build draw the lines framed. The message is
 * BuildKit's: an instruction that cannot be interpreted reads {@code dockerfile parse error on line 7: unknown
 * instruction: RUNN}; any other error is its reason alone, its lines being in the frame.
 */
public final class DockerfileException extends RuntimeException implements SourceFrame.Located {

    /** How BuildKit's frontend words an error, which depends on where it finds it. */
    public enum Wording {
        /** The reason alone: the parser's errors (a heredoc left open) and the conversion's (a stage in a cycle). */
        REASON,
        /** An instruction whose arguments or flags are not valid, which BuildKit's instructions.Parse prefixes. */
        PARSE_ERROR_ON_LINE
    }

    private final transient SourceFile source;
    private final int line;
    private final int endLine;
    private final String reason;

    /** An error at lines {@code line}..{@code endLine} of {@code source}. */
    public DockerfileException(SourceFile source, int line, int endLine, String reason, Wording wording) {
        super(
                wording == Wording.PARSE_ERROR_ON_LINE && line > 0
                        ? "dockerfile parse error on line " + line + ": " + reason
                        : reason);
        this.source = source;
        this.line = line;
        this.endLine = Math.max(line, endLine);
        this.reason = reason;
    }

    /** An error about the file {@code file} as a whole, which no line of it shows. */
    public DockerfileException(String file, String reason) {
        this(new SourceFile(file, new byte[0]), 0, 0, reason, Wording.REASON);
    }

    /** The Dockerfile's name as the frontend knows it (the {@code filename} option). */
    public String file() {
        return source.name();
    }

    /** The first line of the offending instruction, 1-based; 0 when the error is about the whole file. */
    public int line() {
        return line;
    }

    /** The last line of the offending instruction (continuation lines and heredocs included). */
    public int endLine() {
        return endLine;
    }

    /** The offending source text, as written in the file. */
    public String text() {
        return source.text(line, endLine);
    }

    /** What is wrong, without the location. */
    public String reason() {
        return reason;
    }

    /** The lines and the file's bytes, which travel beside the message as BuildKit's errdefs.Source. */
    @Override
    public Optional<SourceFrame.Lines> lines() {
        if (line < 1 || source.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new SourceFrame.Lines(source.name(), SourceFile.LANGUAGE, source.data(), line, endLine));
    }
}
