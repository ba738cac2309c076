package dev.kiln.engine.attest;

import dev.kiln.core.Digest;
import dev.kiln.gateway.Attestation;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The attestations of a file export as files beside the result's, as BuildKit's local and tar exporters write them:
 * one indented in-toto statement per attestation, named by the base name of its path ({@code provenance.json},
 * {@code sbom.spdx.json}), whose subjects are every regular file of the result by its relative path with its
 * sha256.
 */
public final class StatementFiles {

    private StatementFiles() {}

    /**
     * The statement files of {@code attestations} about the files under {@code root}, by file name.
     *
     * @throws IllegalArgumentException when two attestations would be written under the same name
     */
    public static Map<String, byte[]> of(Path root, List<Attestation> attestations) throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        if (attestations.isEmpty()) {
            return files;
        }
        List<InTotoStatement.Subject> subjects = subjects(root);
        for (Attestation attestation : attestations) {
            String name = attestation.path().substring(attestation.path().lastIndexOf('/') + 1);
            if (files.containsKey(name)) {
                throw new IllegalArgumentException("duplicate attestation path name " + name);
            }
            byte[] predicate = attestation
                    .content()
                    .orElseThrow(() -> new IllegalStateException(
                            "attestation " + attestation.path() + " was not made before the export"));
            files.put(
                    name,
                    InTotoStatement.of(attestation.predicateType(), subjects, predicate)
                            .toIndentedJson());
        }
        return files;
    }

    /** Every regular file under {@code root}, in the order a walk of sorted directories meets them. */
    static List<InTotoStatement.Subject> subjects(Path root) throws IOException {
        List<InTotoStatement.Subject> subjects = new ArrayList<>();
        walk(root, "", subjects);
        return subjects;
    }

    private static void walk(Path dir, String prefix, List<InTotoStatement.Subject> subjects) throws IOException {
        List<Path> children;
        try (Stream<Path> list = Files.list(dir)) {
            children = list.sorted().toList();
        }
        for (Path child : children) {
            String name = prefix + child.getFileName();
            if (Files.isDirectory(child, LinkOption.NOFOLLOW_LINKS)) {
                walk(child, name + "/", subjects);
            } else if (Files.isRegularFile(child, LinkOption.NOFOLLOW_LINKS)) {
                MessageDigest sha = Digest.engine("sha256");
                try (InputStream in = new DigestInputStream(Files.newInputStream(child), sha)) {
                    in.transferTo(java.io.OutputStream.nullOutputStream());
                }
                subjects.add(new InTotoStatement.Subject(
                        name, new Digest("sha256", HexFormat.of().formatHex(sha.digest()))));
            }
        }
    }
}
