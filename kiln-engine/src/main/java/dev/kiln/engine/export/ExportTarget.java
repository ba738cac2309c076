package dev.kiln.engine.export;

import dev.kiln.core.ImageReference;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Where a build's result goes: the typed request of one {@link Exporter}, which a Java caller writes directly and
 * {@link Exporters#resolve} makes from an output's type name and attributes.
 */
public sealed interface ExportTarget {

    /** The exporter that writes this output. */
    Exporter exporter();

    /** The result's files, written into a directory on the host (created if missing). */
    record LocalDirectory(Path dest) implements ExportTarget {

        @Override
        public Exporter exporter() {
            return new LocalExporter(dest);
        }
    }

    /** The result's files as one tar archive, written to a file. */
    record TarFile(Path dest) implements ExportTarget {

        @Override
        public Exporter exporter() {
            return new TarExporter(new ArchiveDestination.ToFile(dest));
        }
    }

    /** The result's files as one tar archive, written to a stream the caller owns (stdout, say). */
    record TarStream(OutputStream out) implements ExportTarget {

        @Override
        public Exporter exporter() {
            return new TarExporter(new ArchiveDestination.ToStream(out));
        }
    }

    /**
     * The result as an image: stored in the engine's content store under each of {@code names} and, with
     * {@code push}, pushed to the registry each name is in.
     *
     * @param names image references such as {@code registry.example.com/app:1}; a push needs at least one
     * @param pushByDigest {@code push-by-digest}: the push leaves the names' tags alone and puts the manifest in
     *                     each name's repository by its digest only (a multi-platform recipe merges them later)
     */
    record Image(List<String> names, boolean push, ImageOptions options, boolean pushByDigest) implements ExportTarget {

        public Image {
            names = checkedNames(names);
            Objects.requireNonNull(options, "options");
            if (push && names.isEmpty()) {
                throw new IllegalArgumentException("push=true needs an image name (name=REGISTRY/REPOSITORY:TAG)");
            }
        }

        /** An image pushed (with {@code push}) under its names' tags. */
        public Image(List<String> names, boolean push, ImageOptions options) {
            this(names, push, options, false);
        }

        @Override
        public Exporter exporter() {
            return new ImageExporter(this);
        }
    }

    /** What the image archives ({@link OciArchive}, {@link DockerArchive}) have: where, which names, which image. */
    sealed interface ImageArchiveTarget extends ExportTarget {
        ArchiveDestination destination();

        List<String> names();

        ImageOptions options();

        /** The same export, written to {@code elsewhere}. */
        ImageArchiveTarget to(ArchiveDestination elsewhere);
    }

    /**
     * The result as an OCI image layout in one tar ({@code oci-layout}, {@code index.json}, {@code blobs/}), each
     * name a tag of the layout.
     */
    record OciArchive(ArchiveDestination destination, List<String> names, ImageOptions options)
            implements ImageArchiveTarget {

        public OciArchive {
            names = checkedArchive(destination, names, options);
        }

        @Override
        public OciArchive to(ArchiveDestination elsewhere) {
            return new OciArchive(elsewhere, names, options);
        }

        @Override
        public Exporter exporter() {
            return new OciExporter(this);
        }
    }

    /**
     * The result as a tar that {@code docker load} and skopeo's {@code docker-archive:} read ({@code manifest.json}
     * with the names as RepoTags), which is an OCI image layout too.
     */
    record DockerArchive(ArchiveDestination destination, List<String> names, ImageOptions options)
            implements ImageArchiveTarget {

        public DockerArchive {
            names = checkedArchive(destination, names, options);
        }

        @Override
        public DockerArchive to(ArchiveDestination elsewhere) {
            return new DockerArchive(elsewhere, names, options);
        }

        @Override
        public Exporter exporter() {
            return new DockerExporter(this);
        }
    }

    /** An image archive's parts are all there, and its names are checked as {@link #checkedNames} does. */
    private static List<String> checkedArchive(
            ArchiveDestination destination, List<String> names, ImageOptions options) {
        Objects.requireNonNull(destination, "destination");
        List<String> checked = checkedNames(names);
        Objects.requireNonNull(options, "options");
        return checked;
    }

    /** Names parse as image references (else a clear error) and name a tag, not a digest. */
    private static List<String> checkedNames(List<String> names) {
        for (String name : names) {
            ImageReference reference = ImageReference.parseNormalized(name);
            if (!reference.digest().isEmpty()) {
                throw new IllegalArgumentException("image name \"" + name
                        + "\" has a digest; name the image by a tag (the digest is the image's own)");
            }
        }
        return List.copyOf(names);
    }
}
