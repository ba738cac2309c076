package dev.kiln.engine.export;

/**
 * {@code type=oci}: the result as an OCI image layout in one tar ({@code oci-layout}, {@code index.json},
 * {@code blobs/}), each name a tag of the layout, to a file or a stream.
 */
record OciExporter(ExportTarget.OciArchive archive) implements ImageArchiveExporter {

    @Override
    public ImageArchiveFormat format() {
        return ImageArchiveFormat.OCI;
    }
}
