package dev.kiln.engine.attest;

import dev.kiln.core.Digest;
import dev.kiln.core.GoJson;
import dev.kiln.core.Platform;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.ImageManifest;
import dev.kiln.oci.MediaTypes;
import dev.kiln.oci.content.ContentStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The attestations of one image as BuildKit stores them in an index: an OCI image manifest whose layers are in-toto
 * statements ({@value InTotoStatement#MEDIA_TYPE}, each annotated with its predicate type) and whose config is an
 * image config of platform {@code unknown/unknown} with the statements' digests as diff ids. The index lists it with
 * platform {@code unknown/unknown} and the annotations {@value #REFERENCE_TYPE}={@value #ATTESTATION_MANIFEST} and
 * {@value #REFERENCE_DIGEST}=the image manifest's digest, which is how clients (buildx imagetools, docker) find an
 * image's attestations and know not to run them.
 *
 * @param descriptor the manifest as the index lists it (with platform and annotations)
 * @param config the config's descriptor
 * @param layers the statements' descriptors
 */
public record AttestationManifest(Descriptor descriptor, Descriptor config, List<Descriptor> layers) {

    public static final String REFERENCE_TYPE = "vnd.docker.reference.type";
    public static final String REFERENCE_DIGEST = "vnd.docker.reference.digest";
    public static final String ATTESTATION_MANIFEST = "attestation-manifest";

    /** The platform of attestation manifests: not one any runtime picks. */
    public static final Platform UNKNOWN = new Platform("unknown", "unknown", "", "", List.of());

    public AttestationManifest {
        layers = List.copyOf(layers);
    }

    /**
     * Writes {@code statements} about the image {@code image} (its manifest's descriptor) into {@code content}: each
     * statement, the config, the manifest.
     */
    public static AttestationManifest write(Descriptor image, List<InTotoStatement> statements, ContentStore content)
            throws IOException {
        List<Descriptor> layers = new ArrayList<>();
        for (InTotoStatement statement : statements) {
            byte[] json = statement.toJson();
            Digest digest = content.write(json);
            layers.add(Descriptor.of(InTotoStatement.MEDIA_TYPE, digest, json.length)
                    .withAnnotations(Map.of(InTotoStatement.PREDICATE_TYPE_ANNOTATION, statement.predicateType())));
        }
        byte[] configJson = config(layers);
        Descriptor config = Descriptor.of(MediaTypes.OCI_CONFIG, content.write(configJson), configJson.length);
        byte[] manifestJson = ImageManifest.oci(config, layers).toJson();
        Descriptor manifest = Descriptor.of(MediaTypes.OCI_MANIFEST, content.write(manifestJson), manifestJson.length)
                .withPlatform(UNKNOWN)
                .withAnnotations(Map.of(
                        REFERENCE_TYPE,
                        ATTESTATION_MANIFEST,
                        REFERENCE_DIGEST,
                        image.digest().toString()));
        return new AttestationManifest(manifest, config, layers);
    }

    /**
     * BuildKit's {@code attestationsConfig}: an OCI image config of platform unknown/unknown, an empty config, and
     * the statements' digests as the rootfs diff ids (they are stored uncompressed), as Go marshals it.
     */
    static byte[] config(List<Descriptor> layers) {
        StringBuilder json = new StringBuilder("{\"architecture\":\"unknown\",\"os\":\"unknown\",\"config\":{},");
        json.append("\"rootfs\":{\"type\":\"layers\",\"diff_ids\":");
        json.append(GoJson.stringArray(
                layers.stream().map(layer -> layer.digest().toString()).toList()));
        json.append("}}");
        return json.toString().getBytes(StandardCharsets.UTF_8);
    }
}
