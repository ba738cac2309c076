package dev.kiln.worker.ops;

import dev.kiln.core.Digest;
import dev.kiln.worker.AtomicWrite;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Files downloaded by http sources, by URL, with the ETag they came with, so that keying and
 * running the same source in one build downloads once, and a later build asks the server only
 * whether the file changed.
 */
public final class DownloadCache {

    private final Path dir;
    private final Map<String, Entry> fresh = new ConcurrentHashMap<>();

    public DownloadCache(Path dir) throws IOException {
        this.dir = Files.createDirectories(dir);
    }

    /** A downloaded file and what the server said of it. */
    public record Entry(Path path, String digest, String etag, Instant lastModified) {}

    @FunctionalInterface
    interface Fetch {
        Entry fetch(Entry previous) throws IOException, InterruptedException;
    }

    /** The file for {@code url}: from this process's earlier fetch, or fetched again (given the stored entry). */
    Entry fetch(String url, Fetch fetch) throws IOException, InterruptedException {
        Entry known = fresh.get(url);
        if (known != null && Files.isRegularFile(known.path())) {
            return known;
        }
        Entry fetched = fetch.fetch(stored(url));
        fresh.put(url, fetched);
        return fetched;
    }

    /** Ends a build: the next one asks the servers again whether their files changed. */
    public void forgetFresh() {
        fresh.clear();
    }

    Path tempFile() throws IOException {
        return Files.createTempFile(dir, ".download-", "");
    }

    Entry store(String url, Path temp, String digest, String etag, Instant lastModified) throws IOException {
        // Content is filed by its digest and never rewritten, so a crash between the two writes leaves
        // the old metadata pointing at the old, still present, content.
        Path file = blob(digest);
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        String key = key(url);
        String meta = digest + "\n" + etag + "\n" + (lastModified == null ? "" : lastModified.toString()) + "\n";
        AtomicWrite.write(dir.resolve(key + ".meta"), meta.getBytes(StandardCharsets.UTF_8));
        return new Entry(file, digest, etag, lastModified);
    }

    private Entry stored(String url) throws IOException {
        String key = key(url);
        Path meta = dir.resolve(key + ".meta");
        if (!Files.isRegularFile(meta)) {
            return null;
        }
        String[] lines = Files.readString(meta, StandardCharsets.UTF_8).split("\n", -1);
        if (lines.length < 3 || !lines[0].matches("sha256:[0-9a-f]{64}") || !Files.isRegularFile(blob(lines[0]))) {
            return null;
        }
        return new Entry(blob(lines[0]), lines[0], lines[1], lines[2].isEmpty() ? null : Instant.parse(lines[2]));
    }

    private Path blob(String digest) {
        return dir.resolve(digest.substring("sha256:".length()) + ".blob");
    }

    private static String key(String url) {
        return Digest.sha256(url.getBytes(StandardCharsets.UTF_8)).hex();
    }
}
