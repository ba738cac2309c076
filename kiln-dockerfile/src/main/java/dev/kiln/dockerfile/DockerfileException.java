package dev.kiln.dockerfile;

/**
 * A Dockerfile that cannot be built as written: a syntax error, a bad flag, an unknown stage. It names the
 * file, the lines (1-based; 0 when the problem is not on a line) and the text found there, so the message
 * reads like {@code Dockerfile:7: unknown instruction: RUNN}.
 */
public final class DockerfileException extends RuntimeException {

    private final String file;
    private final int line;
    private final int endLine;
    private final String text;
    private final String reason;

    public DockerfileException(String file, int line, int endLine, String text, String reason) {
        super(format(file, line, reason));
        this.file = file;
        this.line = line;
        this.endLine = Math.max(line, endLine);
        this.text = text == null ? "" : text;
        this.reason = reason;
    }

    private static String format(String file, int line, String reason) {
        return line > 0 ? file + ":" + line + ": " + reason : file + ": " + reason;
    }

    /** The Dockerfile's name as the user gave it (the {@code filename} option). */
    public String file() {
        return file;
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
        return text;
    }

    /** What is wrong, without the location. */
    public String reason() {
        return reason;
    }
}
