package dev.kiln.solver;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

/** A result store on real files: each result is one file of text, named by its id. */
final class FileResults implements ResultStore {

    record FileResult(String id) implements Result {}

    private final Path root;
    /** How many content checksums this store computed. */
    final java.util.concurrent.atomic.AtomicInteger checksums = new java.util.concurrent.atomic.AtomicInteger();

    FileResults(Path root) throws IOException {
        this.root = Files.createDirectories(root);
    }

    Result put(String content) throws IOException {
        String id = UUID.randomUUID().toString();
        Files.writeString(root.resolve(id), content);
        return new FileResult(id);
    }

    String read(Result result) {
        try {
            return Files.readString(root.resolve(result.id()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void deleteAll() throws IOException {
        try (Stream<Path> files = Files.list(root)) {
            for (Path file : files.toList()) {
                Files.delete(file);
            }
        }
    }

    @Override
    public Optional<Result> load(String id) {
        return Files.isRegularFile(root.resolve(id)) ? Optional.of(new FileResult(id)) : Optional.empty();
    }

    @Override
    public String contentChecksum(Result result, List<String> selectors) throws Exception {
        checksums.incrementAndGet();
        var sha256 = MessageDigest.getInstance("SHA-256");
        sha256.update(Files.readAllBytes(root.resolve(result.id())));
        sha256.update(String.join("\n", selectors).getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(sha256.digest());
    }
}
