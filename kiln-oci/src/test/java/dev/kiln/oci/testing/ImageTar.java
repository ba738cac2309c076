package dev.kiln.oci.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * The files of an image tar a build exported (an OCI layout or a docker-archive), read into memory by name, so a test
 * can follow an index to its manifests, configs and layers by digest as a registry or containerd would.
 */
public final class ImageTar {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ImageTar() {}

    /** Every regular file of the tar at {@code tar}, by its name in the tar. */
    public static Map<String, byte[]> files(Path tar) throws IOException {
        Map<String, byte[]> files = new HashMap<>();
        try (InputStream raw = Files.newInputStream(tar);
                TarArchiveInputStream in = new TarArchiveInputStream(raw)) {
            TarArchiveEntry entry;
            while ((entry = in.getNextEntry()) != null) {
                if (entry.isFile()) {
                    files.put(entry.getName(), in.readAllBytes());
                }
            }
        }
        return files;
    }

    /**
     * What the first manifest of the layout's {@code index.json} names, parsed: the image index of a multi-platform
     * or attested image, the manifest of a single one.
     */
    public static JsonNode firstManifest(Map<String, byte[]> files) throws IOException {
        JsonNode top = JSON.readTree(files.get("index.json"));
        return JSON.readTree(
                blob(files, top.path("manifests").get(0).path("digest").asText()));
    }

    /** The blob of {@code digest} (sha256:...) among an OCI layout's {@code files}, or null when it is absent. */
    public static byte[] blob(Map<String, byte[]> files, String digest) {
        return files.get("blobs/sha256/" + digest.substring("sha256:".length()));
    }
}
