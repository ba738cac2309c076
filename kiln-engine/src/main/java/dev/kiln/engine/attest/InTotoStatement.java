package dev.kiln.engine.attest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.core.Digest;
import java.util.List;
import java.util.Objects;

/**
 * An in-toto statement (v0.1, as BuildKit writes them): what it is about (its subjects, each a name and a digest), the
 * type of its predicate and the predicate. Image exports store one per layer of an attestation manifest, compact;
 * local and tar exports write them as indented files.
 */
public record InTotoStatement(String predicateType, List<Subject> subjects, JsonNode predicate) {

    /** The statement type BuildKit v0.24 writes. */
    public static final String TYPE = "https://in-toto.io/Statement/v0.1";

    /** The media type of a statement stored as a blob. */
    public static final String MEDIA_TYPE = "application/vnd.in-toto+json";

    /** The annotation of a statement's layer that names its predicate type. */
    public static final String PREDICATE_TYPE_ANNOTATION = "in-toto.io/predicate-type";

    /** One thing a statement is about: an image by its package URL, a file by its path; sha256 of its bytes. */
    public record Subject(String name, Digest digest) {
        public Subject {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(digest, "digest");
        }

        /**
         * An image as BuildKit names it in a statement: the package URL of the image name with the image's platform
         * ({@code pkg:docker/app@1?platform=linux%2Famd64}), and its manifest's digest.
         */
        public static Subject image(String name, dev.kiln.core.Platform platform, Digest manifest) {
            return new Subject(PackageUrl.image("docker", name, platform), manifest);
        }
    }

    public InTotoStatement {
        Objects.requireNonNull(predicateType, "predicateType");
        subjects = List.copyOf(subjects);
        Objects.requireNonNull(predicate, "predicate");
    }

    /** A statement of {@code predicate}'s JSON bytes. */
    public static InTotoStatement of(String predicateType, List<Subject> subjects, byte[] predicate) {
        return new InTotoStatement(predicateType, subjects, AttestJson.parse(predicate));
    }

    /** As stored in an image: compact (Go's json.Marshal, which also compacts the raw predicate). */
    public byte[] toJson() {
        return AttestJson.compact(tree());
    }

    /** As a local export writes it: {@code json.MarshalIndent(statement, "", "  ")}. */
    public byte[] toIndentedJson() {
        return AttestJson.indented(tree());
    }

    private ObjectNode tree() {
        ObjectNode root = AttestJson.object();
        root.put("_type", TYPE);
        root.put("predicateType", predicateType);
        ArrayNode subject = root.putArray("subject");
        for (Subject each : subjects) {
            ObjectNode entry = subject.addObject();
            entry.put("name", each.name());
            entry.putObject("digest")
                    .put(each.digest().algorithm(), each.digest().hex());
        }
        root.set("predicate", predicate);
        return root;
    }
}
