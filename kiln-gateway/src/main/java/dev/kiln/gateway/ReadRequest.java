package dev.kiln.gateway;

/** A file to read; {@code range} null reads it whole. */
public record ReadRequest(String filename, FileRange range) {

    public static ReadRequest of(String filename) {
        return new ReadRequest(filename, null);
    }
}
