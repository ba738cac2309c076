package dev.kiln.solver;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * Cache keys: a vertex's key is a digest of its op's key material and its inputs' contributions.
 *
 * <p>The vertex key is the lowercase hex sha256 of these bytes, where a <em>string</em> is its UTF-8 bytes preceded
 * by their count as a 4-byte big-endian int (so no two field sequences encode alike):
 * <pre>
 *   string  "kiln-cache-key-v1"
 *   string  CacheMap.digest
 *   int     number of inputs, 4-byte big-endian
 *   per input, in Vertex.inputs() order, one string:
 *     "key:" + the input output's key            for InputKey.ByCacheKey
 *     "content:" + ResultStore.contentChecksum   for InputKey.ByContent (of that output, under the selectors)
 * </pre>
 * The key of output {@code i} of a vertex is {@code vertexKey + "#" + i}; that is what a ByCacheKey dependant folds
 * in, so consuming a different output of the same vertex gives a different key.
 */
final class CacheKeys {

    private static final String VERSION = "kiln-cache-key-v1";

    private CacheKeys() {}

    /** The vertex key, from its cache map digest and one contribution per input (see the class comment). */
    static String vertexKey(String cacheMapDigest, List<String> inputContributions) {
        MessageDigest sha256 = sha256();
        update(sha256, VERSION);
        update(sha256, cacheMapDigest);
        sha256.update(ByteBuffer.allocate(Integer.BYTES)
                .putInt(inputContributions.size())
                .array());
        for (String contribution : inputContributions) {
            update(sha256, contribution);
        }
        return HexFormat.of().formatHex(sha256.digest());
    }

    static String byCacheKey(String inputOutputKey) {
        return "key:" + inputOutputKey;
    }

    static String byContent(String contentChecksum) {
        return "content:" + contentChecksum;
    }

    static String outputKey(String vertexKey, int outputIndex) {
        return vertexKey + "#" + outputIndex;
    }

    private static void update(MessageDigest sha256, String field) {
        byte[] utf8 = field.getBytes(StandardCharsets.UTF_8);
        sha256.update(ByteBuffer.allocate(Integer.BYTES).putInt(utf8.length).array());
        sha256.update(utf8);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
