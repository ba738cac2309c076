package dev.kiln.worker.ops;

import dev.kiln.core.DeferredTls;
import dev.kiln.core.Digest;
import dev.kiln.core.Sha256;
import dev.kiln.core.sys.PosixFiles;
import dev.kiln.llb.pb.Op;
import dev.kiln.solver.CacheMap;
import dev.kiln.solver.Operation;
import dev.kiln.solver.OperationContext;
import dev.kiln.solver.Result;
import dev.kiln.worker.SnapshotResult;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;

/**
 * An {@code http://} or {@code https://} source: one downloaded file in an otherwise empty
 * snapshot, as {@code ADD https://...} makes it. The key is the content's digest: the given
 * {@code http.checksum} when there is one (then the download is only verified against it),
 * otherwise the digest of the bytes downloaded while keying, so a changed file is a new key.
 */
public final class HttpSourceOperation implements Operation {

    private static final HttpClient HTTP = DeferredTls.on(HttpClient.newBuilder())
            .followRedirects(HttpClient.Redirect.NORMAL)
            .connectTimeout(Duration.ofSeconds(30))
            .build();

    private final Op op;
    private final String url;
    private final DownloadCache downloads;
    private final dev.kiln.worker.snapshot.Snapshotter snapshotter;

    public HttpSourceOperation(Op op, DownloadCache downloads, dev.kiln.worker.snapshot.Snapshotter snapshotter) {
        this.op = op;
        this.url = op.getSource().getIdentifier();
        this.downloads = downloads;
        this.snapshotter = snapshotter;
    }

    /** The cache map note with the download's digest the key was made of, which a provenance names as its pin. */
    public static final String CHECKSUM_NOTE = "checksum";

    @Override
    public CacheMap cacheMap(OperationContext ctx) throws Exception {
        String checksum = attr("http.checksum");
        String content = checksum.isEmpty()
                ? download(ctx).digest()
                : Digest.parse(checksum).toString();
        return OpKeys.bySourceContent(op, content).withNotes(java.util.Map.of(CHECKSUM_NOTE, content));
    }

    @Override
    public List<Result> exec(OperationContext ctx, List<Result> inputs) throws Exception {
        DownloadCache.Entry file = download(ctx);
        String expected = attr("http.checksum");
        if (!expected.isEmpty() && !expected.equals(file.digest())) {
            throw new IOException("digest mismatch for " + url + ": expected " + expected + ", got " + file.digest());
        }
        String name = fileName();
        int mode = attr("http.perm").isEmpty() ? 0600 : Integer.parseInt(attr("http.perm"), 8);
        int uid = attr("http.uid").isEmpty() ? 0 : Integer.parseInt(attr("http.uid"));
        int gid = attr("http.gid").isEmpty() ? 0 : Integer.parseInt(attr("http.gid"));
        return List.of(new SnapshotResult(snapshotter.importLayer(dev.kiln.worker.snapshot.Snapshot.SCRATCH, layer -> {
            Path target = layer.resolve(name);
            Files.copy(file.path(), target);
            PosixFiles.chmod(target, mode);
            PosixFiles.lchown(target, uid, gid);
            if (file.lastModified() != null) {
                Files.setLastModifiedTime(target, java.nio.file.attribute.FileTime.from(file.lastModified()));
            }
        })));
    }

    private String attr(String key) {
        return op.getSource().getAttrsOrDefault(key, "");
    }

    /** The file's name: http.filename, else the last element of the URL's path, else "index". */
    private String fileName() {
        String given = attr("http.filename");
        if (!given.isEmpty()) {
            return Path.of(given).getFileName().toString();
        }
        String path = URI.create(url).getPath();
        String base = path == null ? "" : path.substring(path.lastIndexOf('/') + 1);
        return base.isEmpty() || base.equals("..") || base.equals(".") ? "index" : base;
    }

    private DownloadCache.Entry download(OperationContext ctx) throws IOException, InterruptedException {
        return downloads.fetch(url, previous -> {
            HttpRequest.Builder request =
                    HttpRequest.newBuilder(URI.create(url)).GET().timeout(Duration.ofMinutes(10));
            if (previous != null && !previous.etag().isEmpty()) {
                request.header("If-None-Match", previous.etag());
            }
            HttpResponse<InputStream> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream body = response.body()) {
                if (response.statusCode() == 304 && previous != null) {
                    return previous;
                }
                if (response.statusCode() / 100 != 2) {
                    throw new IOException("GET " + url + ": HTTP " + response.statusCode());
                }
                Path temp = downloads.tempFile();
                MessageDigest sha = Sha256.engine();
                try (OutputStream out = new DigestOutputStream(Files.newOutputStream(temp), sha)) {
                    body.transferTo(out);
                }
                ctx.log(
                        1,
                                ("downloaded " + Files.size(temp) + " bytes from " + url + "\n")
                                        .getBytes(StandardCharsets.UTF_8),
                        0, ("downloaded " + Files.size(temp) + " bytes from " + url + "\n").length());
                String digest = "sha256:" + HexFormat.of().formatHex(sha.digest());
                java.time.Instant modified = response.headers()
                        .firstValue("Last-Modified")
                        .map(HttpSourceOperation::parseHttpDate)
                        .orElse(null);
                return downloads.store(
                        url, temp, digest, response.headers().firstValue("ETag").orElse(""), modified);
            }
        });
    }

    private static java.time.Instant parseHttpDate(String value) {
        try {
            return java.time.ZonedDateTime.parse(value, java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME)
                    .toInstant();
        } catch (java.time.format.DateTimeParseException e) {
            return null;
        }
    }
}
