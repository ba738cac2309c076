package dev.kiln.engine.export;

import dev.kiln.core.GoBool;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;

/**
 * The exporters by type name, as an {@code --output type=NAME,KEY=VALUE,...} names them: each name's entry reads the
 * attributes into the typed request of its {@link Exporter}. Adding an output type is its exporter class (named in
 * {@link Exporter}'s permits list), its request (a record in {@link ExportTarget}, which a Java caller writes
 * directly), and one line here. {@code registry} is BuildKit's shorthand for an image that is pushed.
 *
 * <p>Image exports answer with BuildKit's result facts: {@value #IMAGE_DIGEST} (the manifest's digest),
 * {@value #CONFIG_DIGEST}, {@value #IMAGE_NAME} (the names, comma-separated) and {@value #IMAGE_DESCRIPTOR}.
 */
public final class Exporters {

    public static final String IMAGE_DIGEST = "containerimage.digest";
    public static final String CONFIG_DIGEST = "containerimage.config.digest";
    public static final String IMAGE_NAME = "image.name";
    /** The manifest's (or index's) descriptor as JSON in base64, which buildctl's --metadata-file shows decoded. */
    public static final String IMAGE_DESCRIPTOR = "containerimage.descriptor";

    /** Reads one output's attributes into the request of its exporter. */
    @FunctionalInterface
    interface Resolver {
        ExportTarget resolve(ExportAttributes attributes);
    }

    private static final SequencedMap<String, Resolver> TYPES = types(
            Map.entry("local", LocalExporter::resolve),
            Map.entry("tar", TarExporter::resolve),
            Map.entry("image", attributes -> ImageExporter.resolve(attributes, false)),
            Map.entry("registry", attributes -> ImageExporter.resolve(attributes, true)),
            Map.entry("oci", ImageArchiveFormat.OCI::resolve),
            Map.entry("docker", ImageArchiveFormat.DOCKER::resolve));

    private Exporters() {}

    /** The type names there are exporters for, in the order a user is told them. */
    public static List<String> types() {
        return List.copyOf(TYPES.keySet());
    }

    /**
     * The request of the exporter named {@code type}, read from the output's own attributes over what the rest of
     * the command line gives every output.
     *
     * @throws IllegalArgumentException for an unknown type, or naming the attribute that is missing or wrong (the
     *                                  caller says which output it is about)
     */
    public static ExportTarget resolve(String type, Map<String, String> attrs, ExportDefaults defaults) {
        Resolver resolver = TYPES.get(type);
        if (resolver == null) {
            throw new IllegalArgumentException(
                    "unknown type " + type + " (supported: " + String.join(", ", TYPES.keySet()) + ")");
        }
        return resolver.resolve(new ExportAttributes(attrs, defaults));
    }

    /**
     * Whether the output is an image layout's directory rather than one archive: an oci or docker output with
     * {@code tar=false}. Through a daemon's session its blobs go to the client's content store
     * ({@link ArchiveDestination.ToClientStore}).
     */
    public static boolean isLayoutDirectory(String type, Map<String, String> attrs) {
        // a tar= that is no flag at all is left for the exporter to refuse, naming the output
        return (type.equals("oci") || type.equals("docker")) && GoBool.isFalse(attrs.get("tar"));
    }

    @SafeVarargs
    private static SequencedMap<String, Resolver> types(Map.Entry<String, Resolver>... entries) {
        SequencedMap<String, Resolver> types = new LinkedHashMap<>();
        for (Map.Entry<String, Resolver> entry : entries) {
            types.put(entry.getKey(), entry.getValue());
        }
        return Collections.unmodifiableSequencedMap(types);
    }
}
