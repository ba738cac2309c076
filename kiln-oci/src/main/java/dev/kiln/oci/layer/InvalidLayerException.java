package dev.kiln.oci.layer;

import java.io.IOException;
import java.util.Optional;

/**
 * A layer Kiln refuses: a malformed tar, an entry that would escape the target directory, a hard link out of the
 * layer, an unsupported entry type. The message names the entry when there is one.
 */
public final class InvalidLayerException extends IOException {
    private final String entry;

    public InvalidLayerException(String entry, String problem) {
        super(entry == null ? problem : "layer entry \"" + entry + "\": " + problem);
        this.entry = entry;
    }

    public InvalidLayerException(String entry, String problem, Throwable cause) {
        this(entry, problem);
        initCause(cause);
    }

    /** The tar entry at fault, when the problem belongs to one. */
    public Optional<String> entry() {
        return Optional.ofNullable(entry);
    }
}
