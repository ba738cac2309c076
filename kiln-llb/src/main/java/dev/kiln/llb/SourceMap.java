package dev.kiln.llb;

import dev.kiln.llb.pb.Definition;
import java.util.Arrays;
import java.util.Objects;

/**
 * A source file that ops were made from (a Dockerfile, say), kept in the definition so that errors
 * can point at the line that made the failing op.
 *
 * @param filename the file's name as the user knows it
 * @param language its language (a linguist name such as "Dockerfile"), or ""
 * @param data the file's content
 * @param definition the LLB that produces the file, or null
 */
public record SourceMap(String filename, String language, byte[] data, Definition definition) {

    public SourceMap {
        Objects.requireNonNull(filename, "filename");
        language = language == null ? "" : language;
        data = data == null ? new byte[0] : data.clone();
    }

    public SourceMap(String filename, String language, byte[] data) {
        this(filename, language, data, null);
    }

    @Override
    public byte[] data() {
        return data.clone();
    }

    /** A location in this file covering {@code ranges}, to pass as an op option. */
    public SourceLocation location(SourceRange... ranges) {
        return new SourceLocation(this, java.util.List.of(ranges));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SourceMap other
                && filename.equals(other.filename)
                && language.equals(other.language)
                && Arrays.equals(data, other.data)
                && Objects.equals(definition, other.definition);
    }

    @Override
    public int hashCode() {
        return Objects.hash(filename, language, Arrays.hashCode(data), definition);
    }

    @Override
    public String toString() {
        return "SourceMap[" + filename + ", " + data.length + " bytes]";
    }
}
