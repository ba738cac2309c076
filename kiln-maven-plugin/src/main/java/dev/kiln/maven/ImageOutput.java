package dev.kiln.maven;

import dev.kiln.engine.export.ExportDefaults;
import dev.kiln.engine.export.ExportTarget;
import dev.kiln.engine.export.Exporters;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where a goal's image goes, as BuildKit's exporters name it ({@code type=image,name=...,push=true},
 * {@code type=docker,dest=...}): the one description that the embedded engine reads into its export target and that
 * the daemon receives in its Solve, so that the image is the same whichever engine makes it.
 *
 * @param type  the exporter: {@code image}, {@code docker} or {@code oci}
 * @param attrs the exporter's attributes, {@code dest} included for an archive
 * @param file  the archive this output writes, if it writes one
 */
record ImageOutput(String type, Map<String, String> attrs, Optional<Path> file) {

    ImageOutput {
        attrs = Map.copyOf(attrs);
    }

    /** An image under {@code names}, pushed to their registry or kept in Kiln's store. */
    static ImageOutput image(List<String> names, boolean push, ImageAttributes image) {
        Map<String, String> attrs = image.attrs();
        attrs.put("name", String.join(",", names));
        attrs.put("push", Boolean.toString(push));
        return new ImageOutput("image", attrs, Optional.empty());
    }

    /** An archive of the image ({@code docker} or {@code oci}) at {@code file}, its image named {@code names}. */
    static ImageOutput archive(String format, Path file, List<String> names, ImageAttributes image) {
        Path dest = file.toAbsolutePath().normalize();
        Map<String, String> attrs = image.attrs();
        attrs.put("name", String.join(",", names));
        attrs.put("dest", dest.toString());
        return new ImageOutput(format, attrs, Optional.of(dest));
    }

    /** The embedded engine's export target of this output. */
    ExportTarget exportTarget() {
        return Exporters.resolve(
                type,
                attrs,
                new ExportDefaults(OutputStream.nullOutputStream(), List.of(), false, Optional.empty(), Map.of()));
    }

    /**
     * The image attributes every output of a goal shares, written out even where they are the exporter's default so
     * that neither engine's defaults decide them.
     *
     * @param ociMediaTypes    OCI media types (else Docker's)
     * @param sourceDateEpoch  the time of the image's files and history, if fixed
     * @param insecureRegistry plain HTTP to the registry pushed to
     */
    record ImageAttributes(boolean ociMediaTypes, Optional<Instant> sourceDateEpoch, boolean insecureRegistry) {

        Map<String, String> attrs() {
            Map<String, String> attrs = new LinkedHashMap<>();
            attrs.put("oci-mediatypes", Boolean.toString(ociMediaTypes));
            sourceDateEpoch.ifPresent(epoch -> {
                attrs.put("source-date-epoch", Long.toString(epoch.getEpochSecond()));
                // as BuildKit's exporters, SOURCE_DATE_EPOCH alone fixes only the config's and history's times: the
                // files' times in the layers a Dockerfile's RUN steps make are fixed by rewrite-timestamp
                attrs.put("rewrite-timestamp", "true");
            });
            attrs.put("registry.insecure", Boolean.toString(insecureRegistry));
            return attrs;
        }
    }
}
