package dev.kiln.dockerfile.parser;

import dev.kiln.dockerfile.DockerfileException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** A Dockerfile's name and content, to point errors and warnings at its lines. */
public final class SourceFile {

    /** The language BuildKit's frontend names a Dockerfile's source by. */
    public static final String LANGUAGE = "Dockerfile";

    private final String name;
    private final byte[] data;
    private final List<String> lines;

    public SourceFile(String name, byte[] data) {
        this.name = name;
        this.data = data.clone();
        this.lines = splitLines(new String(data, StandardCharsets.UTF_8));
    }

    public String name() {
        return name;
    }

    public byte[] data() {
        return data.clone();
    }

    /** The text of lines {@code start} to {@code end} (1-based, inclusive), without line endings. */
    public String text(int start, int end) {
        if (start < 1 || start > lines.size()) {
            return "";
        }
        int last = Math.min(Math.max(start, end), lines.size());
        return String.join(
                "\n",
                lines.subList(start - 1, last).stream()
                        .map(SourceFile::stripEnding)
                        .toList());
    }

    /** Whether the file has no bytes at all. */
    public boolean isEmpty() {
        return data.length == 0;
    }

    /** An error at lines {@code start}..{@code end}, worded as the reason alone (its lines go beside it). */
    public DockerfileException error(int start, int end, String reason) {
        return new DockerfileException(this, start, end, reason, DockerfileException.Wording.REASON);
    }

    /** An instruction at lines {@code start}..{@code end} that cannot be interpreted, worded with its line. */
    public DockerfileException instructionError(int start, int end, String reason) {
        return new DockerfileException(this, start, end, reason, DockerfileException.Wording.PARSE_ERROR_ON_LINE);
    }

    /** An error about the file as a whole. */
    public DockerfileException error(String reason) {
        return new DockerfileException(this, 0, 0, reason, DockerfileException.Wording.REASON);
    }

    /** Lines with their endings kept, so that heredoc content keeps its newlines as written. */
    static List<String> splitLines(String text) {
        List<String> out = new ArrayList<>();
        int start = 0;
        while (start < text.length()) {
            int newline = text.indexOf('\n', start);
            int end = newline < 0 ? text.length() : newline + 1;
            out.add(text.substring(start, end));
            start = end;
        }
        return out;
    }

    List<String> lines() {
        return lines;
    }

    private static String stripEnding(String line) {
        int end = line.length();
        while (end > 0 && (line.charAt(end - 1) == '\n' || line.charAt(end - 1) == '\r')) {
            end--;
        }
        return line.substring(0, end);
    }
}
