package dev.kiln.solver;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/** A vertex whose digest is the sha256 of its name, so two vertices built with one name are the same step. */
record TestVertex(String digest, String name, List<Edge> inputs, boolean ignoreCache, Operation operation)
        implements Vertex {

    static TestVertex of(String name, Operation operation, Vertex... inputs) {
        return new TestVertex(digestOf(name), name, edges(inputs), false, operation);
    }

    static TestVertex ignoringCache(String name, Operation operation, Vertex... inputs) {
        return new TestVertex(digestOf(name), name, edges(inputs), true, operation);
    }

    static String digestOf(String name) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8));
            return "sha256:" + HexFormat.of().formatHex(hash);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<Edge> edges(Vertex... inputs) {
        return Arrays.stream(inputs).map(input -> new Edge(input, 0)).toList();
    }
}
