package dev.kiln.oci;

/**
 * An image document (manifest, index, config) that cannot be read: the message names the document, the field
 * (as a JSON path such as {@code layers[1].digest}) and what is wrong with it.
 */
public final class OciFormatException extends IllegalArgumentException {
    private final String document;
    private final String field;

    public OciFormatException(String document, String field, String problem) {
        super(document + ": " + (field.isEmpty() ? "" : "field " + field + ": ") + problem);
        this.document = document;
        this.field = field;
    }

    /** What was being read, e.g. "image manifest 127.0.0.1:5000/app:1". */
    public String document() {
        return document;
    }

    /** The JSON path of the offending field, or "" when the document as a whole is wrong. */
    public String field() {
        return field;
    }
}
