package dev.kiln.gateway;

/** A directory to list; {@code includePattern} (empty for all) filters entry names by a glob. */
public record ReadDirRequest(String path, String includePattern) {

    public ReadDirRequest {
        includePattern = includePattern == null ? "" : includePattern;
    }

    public static ReadDirRequest of(String path) {
        return new ReadDirRequest(path, "");
    }
}
