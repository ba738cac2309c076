package dev.kiln.engine.export;

import java.util.Set;

/**
 * {@code type=oci}: the result as an OCI image layout in one tar ({@code oci-layout}, {@code index.json},
 * {@code blobs/}), each name a tag of the layout, to a file or a stream.
 */
record OciExporter(ExportTarget.OciArchive archive) implements ImageArchiveExporter {

    /** {@code dest=FILE} or {@code dest=-}, {@code name=} and the image attributes; OCI media types by default. */
    static ExportTarget resolve(ExportAttributes attributes) {
        attributes.checkImageAttributes(Set.of("name", "dest"));
        ArchiveDestination destination = attributes.archiveDestination();
        return new ExportTarget.OciArchive(
                destination, attributes.names(), attributes.imageOptions(ImageOptions.defaults()));
    }

    @Override
    public String formatName() {
        return "oci";
    }

    @Override
    public ImageArchive.Format format() {
        return ImageArchive::writeOci;
    }
}
