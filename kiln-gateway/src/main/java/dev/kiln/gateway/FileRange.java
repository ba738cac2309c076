package dev.kiln.gateway;

/** A byte range of a file: {@code length} bytes from {@code offset}, fewer at the end of the file. */
public record FileRange(long offset, int length) {

    public FileRange {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException(
                    "file range needs a non-negative offset and length, not " + offset + "+" + length);
        }
    }
}
