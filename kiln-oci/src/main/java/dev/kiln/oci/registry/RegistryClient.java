package dev.kiln.oci.registry;

import static dev.kiln.oci.registry.RegistryTransport.headers;

import dev.kiln.core.DeferredTls;
import dev.kiln.core.Digest;
import dev.kiln.core.ImageReference;
import dev.kiln.core.Platform;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.ImageConfig;
import dev.kiln.oci.ImageIndex;
import dev.kiln.oci.ManifestDocument;
import dev.kiln.oci.MediaTypes;
import dev.kiln.oci.PlatformMatcher;
import dev.kiln.oci.content.BlobInfo;
import dev.kiln.oci.content.BlobWriter;
import dev.kiln.oci.content.ContentStore;
import dev.kiln.oci.content.DigestMismatchException;
import dev.kiln.oci.content.DiskFullException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A client of the OCI distribution API on the JDK's HTTP client: resolves references, pulls manifests, configs
 * and blobs (verified against their digests, blobs resumed with HTTP ranges), and pushes blobs (existence check,
 * cross-repository mount, monolithic or chunked upload) and manifests. Auth is anonymous, Basic or Bearer token as
 * each registry's challenge asks, with credentials from a {@link CredentialSource} such as {@link DockerConfig}.
 *
 * <p>Repositories are named by {@link ImageReference}s; where an operation concerns a repository only, the
 * reference's tag and digest are ignored. Safe for use by many threads.
 */
public final class RegistryClient implements AutoCloseable {
    private static final long MAX_MANIFEST_BYTES = 4 << 20;
    private static final long MAX_IN_MEMORY_BLOB = 64 << 20;
    /** The system property that sets the default read timeout, e.g. "-Dkiln.registry.readTimeout=5s". */
    public static final String READ_TIMEOUT_PROPERTY = "kiln.registry.readTimeout";
    /** The environment variable that sets the default read timeout when the property does not. */
    public static final String READ_TIMEOUT_ENV = "KILN_REGISTRY_READ_TIMEOUT";

    private static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(30);
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");

    private final HttpClient http;
    /** False for a {@link #withCredentials} view: the client it was made from owns the connections. */
    private final boolean ownsHttp;

    private final RegistryTransport transport;
    private final long chunkSize;
    private final Duration readTimeout;

    private RegistryClient(Builder builder) {
        this.http = DeferredTls.on(HttpClient.newBuilder())
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(builder.connectTimeout)
                .build();
        this.ownsHttp = true;
        Authenticator authenticator = new Authenticator(builder.credentials, http, builder.clock, builder.userAgent);
        this.readTimeout = builder.readTimeout != null ? builder.readTimeout : defaultReadTimeout();
        this.transport = new RegistryTransport(
                http,
                authenticator,
                builder.insecure,
                builder.userAgent,
                builder.retries,
                builder.retryBackoff,
                readTimeout,
                new ConcurrentHashMap<>());
        this.chunkSize = builder.chunkSize;
    }

    private RegistryClient(RegistryClient base, CredentialSource credentials) {
        this.http = base.http;
        this.ownsHttp = false;
        this.transport =
                base.transport.withAuthenticator(base.transport.authenticator().withCredentials(credentials));
        this.chunkSize = base.chunkSize;
        this.readTimeout = base.readTimeout;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * This client with credentials from {@code credentials} instead: the same connections, endpoints and options, but
     * auth state of its own (the challenges registries made, the credentials found, the bearer tokens fetched), so
     * nothing one credential source obtained is ever sent for another. A daemon gives each build a view with its
     * client's credentials. Closing a view closes nothing; the connections go when this client is closed.
     */
    public RegistryClient withCredentials(CredentialSource credentials) {
        return new RegistryClient(this, java.util.Objects.requireNonNull(credentials, "credentials"));
    }

    /** The URI API calls for {@code registry} go to, e.g. {@code https://registry-1.docker.io} for docker.io. */
    public URI endpoint(String registry) {
        return transport.endpoint(registry).base();
    }

    // ---- pull ----

    /**
     * What {@code reference} points at (an index or a manifest): HEAD first, GET when the registry's HEAD answer
     * does not say enough. A reference without tag or digest means ":latest".
     */
    public Descriptor resolve(ImageReference reference) throws IOException {
        ImageReference ref = reference.withDefaultTag();
        String target = target(ref);
        RegistryRequest head = new RegistryRequest(
                "resolving " + ref,
                ref,
                target,
                "HEAD",
                manifestUri(ref, target),
                headers("Accept", MediaTypes.MANIFEST_ACCEPT),
                null,
                pull(ref),
                true);
        HttpResponse<InputStream> response = transport.send(head);
        int status = response.statusCode();
        if (status == 401 || status == 403) {
            throw transport.failure(head, response);
        }
        RegistryTransport.discard(response);
        if (status == 200) {
            String type = MediaTypes.base(RegistryTransport.header(response, "Content-Type"));
            String digestHeader = RegistryTransport.header(response, "Docker-Content-Digest");
            long length = response.headers().firstValueAsLong("Content-Length").orElse(-1);
            if ((MediaTypes.isIndex(type) || MediaTypes.isManifest(type)) && length >= 0) {
                if (!ref.digest().isEmpty()) {
                    if (!digestHeader.isEmpty() && !digestHeader.equals(ref.digest())) {
                        throw head.failure(200, List.of(), "the registry answered with digest " + digestHeader, null);
                    }
                    return Descriptor.of(type, Digest.parse(ref.digest()), length);
                }
                if (!digestHeader.isEmpty()) {
                    return Descriptor.of(type, parseDigest(head, digestHeader), length);
                }
            }
        }
        return fetchManifest(ref).descriptor();
    }

    /** The manifest or index {@code reference} (tag or digest) names, verified when a digest is known. */
    public FetchedManifest fetchManifest(ImageReference reference) throws IOException {
        ImageReference ref = reference.withDefaultTag();
        String target = target(ref);
        RegistryRequest get = new RegistryRequest(
                "fetching manifest",
                ref,
                target,
                "GET",
                manifestUri(ref, target),
                headers("Accept", MediaTypes.MANIFEST_ACCEPT),
                null,
                pull(ref),
                true);
        HttpResponse<InputStream> response = expect(get, 200);
        byte[] bytes = readLimited(get, response, MAX_MANIFEST_BYTES);
        String type = MediaTypes.base(RegistryTransport.header(response, "Content-Type"));
        String digestHeader = RegistryTransport.header(response, "Docker-Content-Digest");
        Digest expected = !ref.digest().isEmpty()
                ? Digest.parse(ref.digest())
                : digestHeader.isEmpty() ? null : parseDigest(get, digestHeader);
        Digest actual = digestOf(expected == null ? "sha256" : expected.algorithm(), bytes);
        if (expected != null && !expected.equals(actual)) {
            throw manifestMismatch(get, expected, -1, actual, bytes.length);
        }
        if (!actual.algorithm().equals("sha256")) {
            actual = Digest.sha256(bytes);
        }
        ManifestDocument document = ManifestDocument.parse(bytes, type, "manifest " + ref);
        return new FetchedManifest(Descriptor.of(mediaTypeOf(type, document), actual, bytes.length), bytes, document);
    }

    /** The manifest or index {@code manifest} describes, from {@code repository}, verified against it. */
    public FetchedManifest fetchManifest(ImageReference repository, Descriptor manifest) throws IOException {
        String target = manifest.digest().toString();
        String accept = MediaTypes.MANIFEST_ACCEPT.contains(manifest.mediaType())
                ? MediaTypes.MANIFEST_ACCEPT
                : manifest.mediaType() + ", " + MediaTypes.MANIFEST_ACCEPT;
        RegistryRequest get = new RegistryRequest(
                "fetching manifest",
                repository,
                target,
                "GET",
                manifestUri(repository, target),
                headers("Accept", accept),
                null,
                pull(repository),
                true);
        HttpResponse<InputStream> response = expect(get, 200);
        byte[] bytes = readLimited(get, response, Math.min(manifest.size() + 1, MAX_MANIFEST_BYTES));
        Digest actual = digestOf(manifest.digest().algorithm(), bytes);
        if (!actual.equals(manifest.digest()) || bytes.length != manifest.size()) {
            throw manifestMismatch(get, manifest.digest(), manifest.size(), actual, bytes.length);
        }
        String type = MediaTypes.base(RegistryTransport.header(response, "Content-Type"));
        ManifestDocument document = ManifestDocument.parse(
                bytes,
                MediaTypes.isIndex(manifest.mediaType()) || MediaTypes.isManifest(manifest.mediaType())
                        ? manifest.mediaType()
                        : type,
                "manifest " + manifest.digest() + " of " + repository.name());
        return new FetchedManifest(manifest, bytes, document);
    }

    /**
     * Resolves {@code reference}, picks the manifest for {@code platform} from an index (by
     * {@link PlatformMatcher}'s preference), and fetches the image's config.
     */
    public ResolvedImage resolveImage(ImageReference reference, Platform platform) throws IOException {
        return resolveImage(reference, platform, null);
    }

    /**
     * As {@link #resolveImage(ImageReference, Platform)}, reading the documents {@code known} holds (the index, the
     * manifest, the config) from it rather than from the registry: content does not change under its digest, so once
     * the registry has said which digest the reference names, one request was all a resolve of a known image needs.
     * A null {@code known} fetches everything.
     */
    public ResolvedImage resolveImage(ImageReference reference, Platform platform, ContentStore known)
            throws IOException {
        ImageReference ref = reference.withDefaultTag();
        FetchedManifest root = manifest(ref, resolve(ref), known);
        FetchedManifest image = root;
        if (root.document() instanceof ImageIndex index) {
            Descriptor chosen = PlatformMatcher.of(platform)
                    .select(index.manifests())
                    .orElseThrow(() -> new RegistryRequest(
                                    "resolving " + ref, ref, target(ref), "GET", null, Map.of(), null, List.of(), true)
                            .failure(
                                    0,
                                    List.of(),
                                    "the image has no manifest for " + platform.normalize() + " (its index offers "
                                            + (index.platforms().isEmpty()
                                                    ? "no platforms"
                                                    : index.platforms().stream()
                                                            .map(Platform::toString)
                                                            .distinct()
                                                            .toList())
                                            + ")",
                                    null));
            image = manifest(ref, chosen, known);
            if (image.isIndex()) {
                throw new RegistryRequest(
                                "resolving " + ref,
                                ref,
                                chosen.digest().toString(),
                                "GET",
                                null,
                                Map.of(),
                                null,
                                List.of(),
                                true)
                        .failure(0, List.of(), "an index inside an index is not supported", null);
            }
        }
        Descriptor configDescriptor = image.manifest().config();
        Optional<byte[]> stored = storedDocument(known, configDescriptor);
        byte[] configBytes = stored.isPresent() ? stored.get() : fetchBlob(ref, configDescriptor);
        ImageConfig config = ImageConfig.parse(configBytes, "config " + configDescriptor.digest() + " of " + ref);
        return new ResolvedImage(ref, root, image, configBytes, config);
    }

    /** The manifest or index {@code descriptor} names: from {@code known} when it holds it, else fetched. */
    private FetchedManifest manifest(ImageReference repository, Descriptor descriptor, ContentStore known)
            throws IOException {
        boolean typed = MediaTypes.isIndex(descriptor.mediaType()) || MediaTypes.isManifest(descriptor.mediaType());
        Optional<byte[]> stored = typed ? storedDocument(known, descriptor) : Optional.empty();
        if (stored.isEmpty()) {
            return fetchManifest(repository, descriptor);
        }
        ManifestDocument document = ManifestDocument.parse(
                stored.get(),
                descriptor.mediaType(),
                "stored manifest " + descriptor.digest() + " of " + repository.name());
        return new FetchedManifest(descriptor, stored.get(), document);
    }

    /** The bytes of {@code descriptor} from {@code known}, when it holds them at the size the descriptor says. */
    private static Optional<byte[]> storedDocument(ContentStore known, Descriptor descriptor) throws IOException {
        if (known == null || descriptor.size() > MAX_MANIFEST_BYTES || !known.exists(descriptor.digest())) {
            return Optional.empty();
        }
        byte[] bytes = known.read(descriptor.digest());
        return bytes.length == descriptor.size() ? Optional.of(bytes) : Optional.empty();
    }

    /**
     * Resolves {@code reference} for {@code platform} and stores everything of that image in {@code store}: the
     * index, the manifest, the config and the layers (in parallel, each resumed if a partial download is there).
     * Blobs the store has already are not downloaded again.
     */
    public ResolvedImage pull(ImageReference reference, Platform platform, ContentStore store) throws IOException {
        ResolvedImage image = resolveImage(reference, platform);
        store.write(image.root().descriptor().digest(), image.root().bytes());
        store.write(image.image().descriptor().digest(), image.image().bytes());
        store.write(image.configDescriptor().digest(), image.configBytes());
        fetchBlobs(image.reference(), image.layers(), store);
        return image;
    }

    /** Downloads {@code blobs} into {@code store} in parallel, on virtual threads. */
    public void fetchBlobs(ImageReference repository, Collection<Descriptor> blobs, ContentStore store)
            throws IOException {
        List<Future<BlobInfo>> downloads = new ArrayList<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (Descriptor blob : new LinkedHashSet<>(blobs)) {
                downloads.add(threads.submit(() -> fetchBlob(repository, blob, store)));
            }
        }
        IOException failure = null;
        for (Future<BlobInfo> download : downloads) {
            try {
                download.get();
            } catch (ExecutionException e) {
                IOException cause = e.getCause() instanceof IOException io
                        ? io
                        : new IOException("downloading a blob of " + repository.name() + " failed", e.getCause());
                if (failure == null) {
                    failure = cause;
                } else {
                    failure.addSuppressed(cause);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted downloading blobs of " + repository.name());
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** A small blob (a config) read whole and verified; larger ones go to a {@link ContentStore}. */
    public byte[] fetchBlob(ImageReference repository, Descriptor blob) throws IOException {
        if (blob.size() > MAX_IN_MEMORY_BLOB) {
            throw new IllegalArgumentException("blob " + blob.digest() + " has " + blob.size()
                    + " bytes, too many to read into memory; fetch it into a ContentStore");
        }
        RegistryRequest get = blobRequest("fetching blob", repository, blob.digest(), Map.of());
        HttpResponse<InputStream> response = expect(get, 200);
        try (InputStream in = new VerifyingInputStream(body(response), blob, context(get))) {
            return in.readAllBytes();
        } catch (HttpTimeoutException e) {
            throw get.failure(
                    200, List.of(), "the registry stopped sending blob " + blob.digest() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The bytes of a blob as they arrive. Reading to the end verifies them: a {@link DigestMismatchException} at the
     * end (or as soon as too many bytes arrive) says they were not the blob's.
     */
    public InputStream openBlob(ImageReference repository, Descriptor blob) throws IOException {
        RegistryRequest get = blobRequest("fetching blob", repository, blob.digest(), Map.of());
        HttpResponse<InputStream> response = expect(get, 200);
        return new VerifyingInputStream(body(response), blob, context(get));
    }

    /**
     * Downloads a blob into {@code store}, verified against its digest and size. An interrupted transfer is
     * continued with an HTTP range request from the bytes already stored, up to the client's retry count; a
     * partial download left by an earlier process is continued too. Content that does not match is refused and
     * nothing of it stays.
     */
    public BlobInfo fetchBlob(ImageReference repository, Descriptor blob, ContentStore store) throws IOException {
        boolean startedOver = false;
        while (true) {
            boolean resumedEarlierIngest = false;
            try (BlobWriter writer = store.writer(blob.digest(), blob.size())) {
                if (!writer.alreadyStored()) {
                    resumedEarlierIngest = writer.offset() > 0;
                    download(repository, blob, writer);
                }
                return new BlobInfo(writer.commit(), blob.size());
            } catch (DiskFullException e) {
                RegistryRequest get = blobRequest("fetching blob", repository, blob.digest(), Map.of());
                throw new DiskFullException(context(get) + ": " + e.getMessage(), e.directory(), e);
            } catch (DigestMismatchException e) {
                // An earlier process's partial download could be what is wrong; the store dropped it, so try once
                // afresh.
                if (resumedEarlierIngest && !startedOver) {
                    startedOver = true;
                    continue;
                }
                RegistryRequest get = blobRequest("fetching blob", repository, blob.digest(), Map.of());
                throw new DigestMismatchException(
                        context(get) + ": " + e.getMessage(),
                        e.expectedDigest(),
                        e.expectedSize(),
                        e.actualDigest(),
                        e.actualSize());
            }
        }
    }

    private void download(ImageReference repository, Descriptor blob, BlobWriter writer) throws IOException {
        int failures = 0;
        byte[] buffer = new byte[64 * 1024];
        while (writer.offset() < blob.size()) {
            long offset = writer.offset();
            RegistryRequest get = blobRequest(
                    "fetching blob",
                    repository,
                    blob.digest(),
                    offset > 0 ? headers("Range", "bytes=" + offset + "-") : Map.of());
            HttpResponse<InputStream> response = transport.send(get);
            int status = response.statusCode();
            if (status == 206) {
                Matcher range = CONTENT_RANGE.matcher(RegistryTransport.header(response, "Content-Range"));
                if (!range.matches() || Long.parseLong(range.group(1)) != offset) {
                    RegistryTransport.discard(response);
                    writer.restart();
                    continue;
                }
            } else if (status == 200) {
                if (offset > 0) {
                    writer.restart();
                }
            } else if (status == 416 && offset > 0) {
                RegistryTransport.discard(response);
                writer.restart();
                continue;
            } else {
                throw transport.failure(get, response);
            }
            long before = writer.offset();
            IOException broken = null;
            InputStream body = body(response);
            try {
                while (true) {
                    int read;
                    try {
                        read = body.read(buffer);
                    } catch (IOException e) {
                        broken = e;
                        break;
                    }
                    if (read < 0) {
                        break;
                    }
                    // A failure to store (a full disk, say) is not the network's: it goes up as it is, never retried.
                    writer.write(buffer, 0, read);
                }
            } finally {
                try {
                    body.close();
                } catch (IOException ignored) {
                    // what was read counts; a connection that breaks at its end is the next request's problem
                }
            }
            if (broken != null) {
                if (broken instanceof InterruptedIOException
                        || Thread.currentThread().isInterrupted()) {
                    throw broken;
                }
                failures++;
                if (failures > transport.retries()) {
                    String why = broken instanceof HttpTimeoutException
                            ? "the registry stopped sending (" + broken.getMessage() + "; read timeout "
                                    + ReadTimeoutInputStream.describe(readTimeout) + ")"
                            : "the download broke off (" + broken.getMessage() + ")";
                    throw get.failure(
                            status,
                            List.of(),
                            why + " after " + writer.offset() + " of " + blob.size() + " bytes of blob " + blob.digest()
                                    + ", " + failures + " times",
                            broken);
                }
                transport.pause(failures);
                continue;
            }
            if (writer.offset() < blob.size() && writer.offset() == before) {
                failures++;
                if (failures > transport.retries()) {
                    throw get.failure(
                            status,
                            List.of(),
                            "the registry sent only " + writer.offset() + " of " + blob.size() + " bytes",
                            null);
                }
            }
        }
    }

    /** A response body whose reads wait at most the client's read timeout. */
    private InputStream body(HttpResponse<InputStream> response) {
        return new ReadTimeoutInputStream(response.body(), readTimeout);
    }

    // ---- push ----

    /** Whether {@code repository} has the blob (HEAD). */
    public boolean blobExists(ImageReference repository, Digest digest) throws IOException {
        return blobExists(repository, digest, pull(repository));
    }

    private boolean blobExists(ImageReference repository, Digest digest, List<String> scopes) throws IOException {
        RegistryRequest head = new RegistryRequest(
                "checking for blob",
                repository,
                digest.toString(),
                "HEAD",
                transport.endpoint(repository.domain()).uri("/v2/" + repository.path() + "/blobs/" + digest),
                Map.of(),
                null,
                scopes,
                true);
        HttpResponse<InputStream> response = transport.send(head);
        int status = response.statusCode();
        if (status == 200) {
            RegistryTransport.discard(response);
            return true;
        }
        if (status == 404) {
            RegistryTransport.discard(response);
            return false;
        }
        throw transport.failure(head, response);
    }

    /**
     * Asks the registry to link a blob of {@code from} into {@code repository} without sending it.
     *
     * @return true when mounted; false when the registry could not (then nothing changed)
     */
    public boolean mountBlob(ImageReference repository, ImageReference from, Digest digest) throws IOException {
        if (!from.domain().equals(repository.domain())) {
            return false;
        }
        URI upload = startUpload(repository, digest, from);
        if (upload == null) {
            return true;
        }
        cancelUpload(repository, digest, upload);
        return false;
    }

    /** Pushes a blob unless {@code repository} has it. */
    public PushResult pushBlob(ImageReference repository, Descriptor blob, BlobSource source) throws IOException {
        return pushBlob(repository, blob, source, null);
    }

    /** Pushes a blob of {@code store} unless {@code repository} has it. */
    public PushResult pushBlob(ImageReference repository, Descriptor blob, ContentStore store) throws IOException {
        return pushBlob(repository, blob, () -> store.open(blob.digest()), null);
    }

    /**
     * Pushes a blob unless {@code repository} has it, first trying to mount it from {@code mountFrom} (a repository
     * of the same registry known to have it, or null). Uploads in one PUT, or in PATCH chunks when the client has a
     * chunk size and the blob is larger.
     */
    public PushResult pushBlob(ImageReference repository, Descriptor blob, BlobSource source, ImageReference mountFrom)
            throws IOException {
        boolean mountable = mountFrom != null
                && mountFrom.domain().equals(repository.domain())
                && !mountFrom.path().equals(repository.path());
        if (blobExists(repository, blob.digest(), push(repository, mountable ? mountFrom : null))) {
            return PushResult.ALREADY_PRESENT;
        }
        URI upload = startUpload(repository, blob.digest(), mountable ? mountFrom : null);
        if (upload == null) {
            return PushResult.MOUNTED;
        }
        if (chunkSize > 0 && blob.size() > chunkSize) {
            upload = uploadChunks(repository, blob, source, upload);
            finishUpload(repository, blob, upload, null);
        } else {
            finishUpload(repository, blob, upload, source);
        }
        return PushResult.UPLOADED;
    }

    /** Starts an upload session (or mounts); returns its location, or null when the blob was mounted. */
    private URI startUpload(ImageReference repository, Digest digest, ImageReference mountFrom) throws IOException {
        String query =
                mountFrom == null ? "" : "?mount=" + encode(digest.toString()) + "&from=" + encode(mountFrom.path());
        RegistryRequest post = new RegistryRequest(
                mountFrom == null ? "starting blob upload" : "mounting blob from " + mountFrom.path(),
                repository,
                digest.toString(),
                "POST",
                transport.endpoint(repository.domain()).uri("/v2/" + repository.path() + "/blobs/uploads/" + query),
                Map.of(),
                null,
                push(repository, mountFrom),
                false);
        HttpResponse<InputStream> response = transport.send(post);
        int status = response.statusCode();
        if (status == 201 && mountFrom != null) {
            RegistryTransport.discard(response);
            return null;
        }
        if (status != 202) {
            throw transport.failure(post, response);
        }
        RegistryTransport.discard(response);
        return location(post, response);
    }

    private URI uploadChunks(ImageReference repository, Descriptor blob, BlobSource source, URI upload)
            throws IOException {
        URI location = upload;
        try (InputStream in = source.open()) {
            long sent = 0;
            while (sent < blob.size()) {
                byte[] chunk = in.readNBytes((int) Math.min(chunkSize, blob.size() - sent));
                if (chunk.length == 0) {
                    throw new IOException("the source of blob " + blob.digest() + " ended after " + sent + " of "
                            + blob.size() + " bytes");
                }
                RegistryRequest patch = new RegistryRequest(
                        "uploading blob chunk",
                        repository,
                        blob.digest().toString(),
                        "PATCH",
                        location,
                        headers(
                                "Content-Type",
                                "application/octet-stream",
                                "Content-Range",
                                sent + "-" + (sent + chunk.length - 1)),
                        () -> HttpRequest.BodyPublishers.ofByteArray(chunk),
                        push(repository, null),
                        false);
                HttpResponse<InputStream> response = transport.send(patch);
                if (response.statusCode() != 202) {
                    throw transport.failure(patch, response);
                }
                RegistryTransport.discard(response);
                location = location(patch, response);
                sent += chunk.length;
            }
        }
        return location;
    }

    private void finishUpload(ImageReference repository, Descriptor blob, URI upload, BlobSource source)
            throws IOException {
        Supplier<BodyPublisher> body = null;
        Map<String, String> headers = Map.of();
        if (source != null) {
            headers = headers("Content-Type", "application/octet-stream");
            body = blob.size() == 0
                    ? () -> HttpRequest.BodyPublishers.ofByteArray(new byte[0])
                    : () -> HttpRequest.BodyPublishers.fromPublisher(
                            HttpRequest.BodyPublishers.ofInputStream(() -> {
                                try {
                                    return source.open();
                                } catch (IOException e) {
                                    throw new UncheckedIOException(e);
                                }
                            }),
                            blob.size());
        }
        RegistryRequest put = new RegistryRequest(
                "uploading blob",
                repository,
                blob.digest().toString(),
                "PUT",
                withQuery(upload, "digest=" + encode(blob.digest().toString())),
                headers,
                body,
                push(repository, null),
                false);
        HttpResponse<InputStream> response = transport.send(put);
        if (response.statusCode() != 201) {
            throw transport.failure(put, response);
        }
        RegistryTransport.discard(response);
    }

    private void cancelUpload(ImageReference repository, Digest digest, URI upload) throws IOException {
        RegistryRequest delete = new RegistryRequest(
                "cancelling blob upload",
                repository,
                digest.toString(),
                "DELETE",
                upload,
                Map.of(),
                null,
                push(repository, null),
                true);
        RegistryTransport.discard(transport.send(delete));
    }

    /**
     * Puts a manifest or index under {@code reference}'s tag (or, without one, under its digest).
     *
     * @return the descriptor of what was pushed
     */
    public Descriptor pushManifest(ImageReference reference, String mediaType, byte[] manifest) throws IOException {
        Digest digest = Digest.sha256(manifest);
        if (reference.tag().isEmpty()
                && !reference.digest().isEmpty()
                && !reference.digest().equals(digest.toString())) {
            throw new IllegalArgumentException("the manifest has digest " + digest + ", not " + reference.digest()
                    + " as the reference " + reference + " says");
        }
        String target = !reference.tag().isEmpty() ? reference.tag() : digest.toString();
        RegistryRequest put = new RegistryRequest(
                "pushing manifest",
                reference,
                target,
                "PUT",
                manifestUri(reference, target),
                headers("Content-Type", mediaType),
                () -> HttpRequest.BodyPublishers.ofByteArray(manifest),
                push(reference, null),
                true);
        HttpResponse<InputStream> response = transport.send(put);
        if (response.statusCode() != 201 && response.statusCode() != 200) {
            throw transport.failure(put, response);
        }
        RegistryTransport.discard(response);
        String answered = RegistryTransport.header(response, "Docker-Content-Digest");
        if (!answered.isEmpty() && !answered.equals(digest.toString())) {
            throw put.failure(
                    response.statusCode(),
                    List.of(),
                    "the registry stored it as " + answered + ", not as " + digest,
                    null);
        }
        return Descriptor.of(mediaType, digest, manifest.length);
    }

    /** Puts {@code manifest}'s canonical JSON under {@code reference}, with its own media type. */
    public Descriptor pushManifest(ImageReference reference, ManifestDocument manifest) throws IOException {
        String mediaType = switch (manifest) {
            case dev.kiln.oci.ImageManifest image -> image.contentType();
            case ImageIndex index -> index.contentType();
        };
        return pushManifest(reference, mediaType, manifest.toJson());
    }

    /** Gives the manifest {@code source} names (by tag or digest) the tag {@code tag} in the same repository. */
    public Descriptor tag(ImageReference source, String tag) throws IOException {
        FetchedManifest manifest = fetchManifest(source);
        ImageReference tagged = new ImageReference(source.domain(), source.path(), tag, "");
        return pushManifest(tagged, manifest.descriptor().mediaType(), manifest.bytes());
    }

    @Override
    public void close() {
        if (ownsHttp) {
            http.close();
        }
    }

    // ---- plumbing ----

    private RegistryRequest blobRequest(
            String operation, ImageReference repository, Digest digest, Map<String, String> headers) {
        return new RegistryRequest(
                operation,
                repository,
                digest.toString(),
                "GET",
                transport.endpoint(repository.domain()).uri("/v2/" + repository.path() + "/blobs/" + digest),
                headers,
                null,
                pull(repository),
                true);
    }

    private HttpResponse<InputStream> expect(RegistryRequest request, int status) throws IOException {
        HttpResponse<InputStream> response = transport.send(request);
        if (response.statusCode() != status) {
            throw transport.failure(request, response);
        }
        return response;
    }

    private URI manifestUri(ImageReference repository, String target) {
        return transport.endpoint(repository.domain()).uri("/v2/" + repository.path() + "/manifests/" + target);
    }

    private static String target(ImageReference reference) {
        return reference.digest().isEmpty() ? reference.tag() : reference.digest();
    }

    private static List<String> pull(ImageReference repository) {
        return List.of("repository:" + repository.path() + ":pull");
    }

    private static List<String> push(ImageReference repository, ImageReference mountFrom) {
        List<String> scopes = new ArrayList<>();
        scopes.add("repository:" + repository.path() + ":pull,push");
        if (mountFrom != null) {
            scopes.add("repository:" + mountFrom.path() + ":pull");
        }
        return scopes;
    }

    private static String context(RegistryRequest request) {
        return request.operation() + ": registry " + request.registry() + ", repository "
                + request.repository().path();
    }

    private static URI location(RegistryRequest request, HttpResponse<InputStream> response) throws RegistryException {
        String location = RegistryTransport.header(response, "Location");
        if (location.isEmpty()) {
            throw request.failure(response.statusCode(), List.of(), "the registry answered without a Location", null);
        }
        return request.uri().resolve(location);
    }

    private static URI withQuery(URI uri, String parameter) {
        return URI.create(uri + (uri.getRawQuery() == null ? "?" : "&") + parameter);
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static Digest parseDigest(RegistryRequest request, String text) throws RegistryException {
        try {
            return Digest.parse(text);
        } catch (IllegalArgumentException e) {
            throw request.failure(
                    200, List.of(), "the registry sent an invalid Docker-Content-Digest: " + e.getMessage(), e);
        }
    }

    private static String mediaTypeOf(String contentType, ManifestDocument document) {
        if (MediaTypes.isIndex(contentType) || MediaTypes.isManifest(contentType)) {
            return contentType;
        }
        if (!document.mediaType().isEmpty()) {
            return document.mediaType();
        }
        return document instanceof ImageIndex ? MediaTypes.OCI_INDEX : MediaTypes.OCI_MANIFEST;
    }

    private byte[] readLimited(RegistryRequest request, HttpResponse<InputStream> response, long limit)
            throws IOException {
        try (InputStream in = body(response)) {
            byte[] bytes = in.readNBytes((int) Math.min(limit, Integer.MAX_VALUE - 8));
            if (bytes.length == limit && in.read() >= 0) {
                throw request.failure(
                        response.statusCode(), List.of(), "the answer is larger than " + limit + " bytes", null);
            }
            return bytes;
        } catch (HttpTimeoutException e) {
            throw request.failure(
                    response.statusCode(), List.of(), "the registry stopped sending: " + e.getMessage(), e);
        }
    }

    private static DigestMismatchException manifestMismatch(
            RegistryRequest request, Digest expected, long expectedSize, Digest actual, long actualSize) {
        String size = expectedSize < 0 ? "" : " (" + expectedSize + " bytes)";
        return new DigestMismatchException(
                context(request) + ", reference " + request.reference() + ": manifest "
                        + expected + " refused: content does not match its digest: expected " + expected + size
                        + ", got " + actual
                        + " (" + actualSize + " bytes)",
                expected,
                expectedSize,
                actual,
                actualSize);
    }

    static Digest digestOf(String algorithm, byte[] bytes) {
        return new Digest(
                algorithm, HexFormat.of().formatHex(Digest.engine(algorithm).digest(bytes)));
    }

    /**
     * The read timeout when the builder sets none: the system property {@value #READ_TIMEOUT_PROPERTY}, else the
     * environment variable {@value #READ_TIMEOUT_ENV}, else 30 s; a value is a duration such as "30s", "1500ms",
     * "2m", or a number of seconds.
     */
    static Duration defaultReadTimeout() {
        String property = System.getProperty(READ_TIMEOUT_PROPERTY);
        if (property != null && !property.isBlank()) {
            return parseDuration(property, "system property " + READ_TIMEOUT_PROPERTY);
        }
        String env = System.getenv(READ_TIMEOUT_ENV);
        if (env != null && !env.isBlank()) {
            return parseDuration(env, "environment variable " + READ_TIMEOUT_ENV);
        }
        return DEFAULT_READ_TIMEOUT;
    }

    static Duration parseDuration(String text, String source) {
        Matcher matcher = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m)?").matcher(text.trim());
        if (!matcher.matches()) {
            throw new IllegalArgumentException(
                    source + " is \"" + text + "\"; give a duration such as 30s, 1500ms or 2m");
        }
        double amount = Double.parseDouble(matcher.group(1));
        String unit = matcher.group(2) == null ? "s" : matcher.group(2);
        long millis = Math.round(amount
                * switch (unit) {
                    case "ms" -> 1;
                    case "m" -> 60_000;
                    default -> 1000;
                });
        if (millis <= 0) {
            throw new IllegalArgumentException(source + " must be positive, not \"" + text + "\"");
        }
        return Duration.ofMillis(millis);
    }

    /** Options of a {@link RegistryClient}. */
    public static final class Builder {
        private CredentialSource credentials = CredentialSource.ANONYMOUS;
        private final Set<String> insecure = new java.util.HashSet<>();
        private int retries = 3;
        private Duration retryBackoff = Duration.ofMillis(200);
        private long chunkSize;
        private Clock clock = Clock.systemUTC();
        private String userAgent = "kiln/0.1";
        private Duration connectTimeout = Duration.ofSeconds(30);
        private Duration readTimeout;

        private Builder() {}

        /** Where credentials come from; anonymous by default. */
        public Builder credentials(CredentialSource source) {
            this.credentials = java.util.Objects.requireNonNull(source, "credentials");
            return this;
        }

        /** Registries (host[:port] as references name them) to reach over plain HTTP. Loopback ones always are. */
        public Builder insecure(Collection<String> registries) {
            insecure.addAll(registries);
            return this;
        }

        public Builder insecure(String... registries) {
            return insecure(List.of(registries));
        }

        /** How often a failed request or broken download is tried again (default 3). */
        public Builder retries(int count) {
            if (count < 0) {
                throw new IllegalArgumentException("retries must not be negative: " + count);
            }
            this.retries = count;
            return this;
        }

        /** The wait before the first retry, doubled for each further one (default 200 ms). */
        public Builder retryBackoff(Duration wait) {
            this.retryBackoff = wait;
            return this;
        }

        /** Upload blobs larger than this in PATCH chunks of this size; 0 (the default) uploads in one PUT. */
        public Builder chunkSize(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("chunk size must not be negative: " + bytes);
            }
            this.chunkSize = bytes;
            return this;
        }

        /** The clock token expiry is judged by. */
        public Builder clock(Clock value) {
            this.clock = value;
            return this;
        }

        public Builder userAgent(String value) {
            this.userAgent = value;
            return this;
        }

        public Builder connectTimeout(Duration value) {
            this.connectTimeout = value;
            return this;
        }

        /**
         * How long the client waits for a registry that has stopped sending: for the answer to a request without a
         * body, and for each read of an answer's body. A blob download that times out is continued with a range
         * request, up to the retry count. Default: {@link #defaultReadTimeout()}, 30 s unless configured.
         */
        public Builder readTimeout(Duration value) {
            if (value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException("read timeout must be positive: " + value);
            }
            this.readTimeout = value;
            return this;
        }

        public RegistryClient build() {
            return new RegistryClient(this);
        }
    }
}
