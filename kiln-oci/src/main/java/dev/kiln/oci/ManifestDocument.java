package dev.kiln.oci;

/**
 * What a registry returns for a manifest reference: an image manifest, or an index (manifest list) of them.
 */
public sealed interface ManifestDocument permits ImageManifest, ImageIndex {

    /** The media type the document names itself, or "" when it does not (OCI allows that). */
    String mediaType();

    /** The canonical JSON of this document. A pulled document keeps its own bytes; these are for new ones. */
    byte[] toJson();

    /**
     * Reads a manifest or an index. The kind comes from {@code contentType} when it names one (a registry's
     * Content-Type), else from the document's own mediaType, else from its shape.
     *
     * @param document what is being read, for error messages, e.g. "manifest 127.0.0.1:5000/app:1"
     * @throws OciFormatException naming the document and the field when the JSON is not a valid manifest or index
     */
    static ManifestDocument parse(byte[] json, String contentType, String document) {
        JsonFields fields = JsonFields.parse(json, document);
        String declared = fields.string("mediaType");
        String kind = MediaTypes.isIndex(contentType) || MediaTypes.isManifest(contentType) ? contentType : declared;
        if (MediaTypes.isIndex(kind)) {
            return ImageIndex.read(fields);
        }
        if (MediaTypes.isManifest(kind)) {
            return ImageManifest.read(fields);
        }
        if (fields.optionalLong("schemaVersion") == 1
                || MediaTypes.base(kind).startsWith("application/vnd.docker.distribution.manifest.v1")) {
            throw fields.error(
                    "schemaVersion",
                    "Docker schema 1 manifests are not supported; push the image again with a "
                            + "current client to get a schema 2 or OCI manifest");
        }
        if (fields.has("manifests")) {
            return ImageIndex.read(fields);
        }
        if (fields.has("config") || fields.has("layers")) {
            return ImageManifest.read(fields);
        }
        throw fields.error("mediaType", "neither an image manifest nor an index (media type \"" + kind + "\")");
    }
}
