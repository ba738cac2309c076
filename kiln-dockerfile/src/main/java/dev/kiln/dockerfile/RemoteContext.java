package dev.kiln.dockerfile;

import dev.kiln.dockerfile.convert.GitRef;
import dev.kiln.dockerfile.instructions.InstructionException;
import dev.kiln.gateway.Client;
import dev.kiln.gateway.FileRange;
import dev.kiln.gateway.GatewayException;
import dev.kiln.gateway.ReadRequest;
import dev.kiln.gateway.Reference;
import dev.kiln.gateway.SolveRequest;
import dev.kiln.llb.CopyOption;
import dev.kiln.llb.FileAction;
import dev.kiln.llb.HttpOption;
import dev.kiln.llb.MarshalOptions;
import dev.kiln.llb.OpOption;
import dev.kiln.llb.State;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.zip.GZIPInputStream;

/**
 * A build context the client names by URL in the context option ({@code context}, or the name
 * {@code contextkey} gives) instead of passing a directory, as BuildKit's Dockerfile frontend takes it: a git
 * repository ({@code https://host/repo.git#ref:subdir}, {@code git@host:repo.git}, {@code git://...}), or an
 * http(s) download that is either an archive, unpacked as the context, or any other file, which is then the
 * Dockerfile itself in an otherwise empty context. As in BuildKit, the context's {@code .dockerignore} does not
 * filter a remote context: the repository or archive is the context as it is.
 *
 * @param url the URL as the client gave it, for messages
 * @param state the context's files
 * @param dockerfile the Dockerfile's path in {@code state}: the {@code filename} option, or the downloaded file
 */
record RemoteContext(String url, State state, String dockerfile) {

    /** The name BuildKit gives a downloaded context, and so the Dockerfile's name when the download is one. */
    private static final String DOWNLOAD = "context";

    /** As much of a download as is read to tell an archive from a Dockerfile. */
    private static final int HEAD = 1024;

    private static final int TAR_BLOCK = 512;

    /**
     * The remote context the options name, if they name one; an http context is downloaded here, since what it
     * is decides where the Dockerfile is.
     *
     * @throws GatewayException naming the URL, for a git URL that does not parse, a download that fails, or a
     *     compressed download that is not a tar archive
     */
    static Optional<RemoteContext> of(Client client, FrontendOptions options) throws InterruptedException {
        String url = options.opts().getOrDefault(options.contextName(), "");
        if (url.isEmpty()) {
            return Optional.empty();
        }
        boolean keepGitDir = parseBoolean(options.opts().getOrDefault("build-arg:BUILDKIT_CONTEXT_KEEP_GIT_DIR", ""));
        Optional<State> git = gitSource(url, keepGitDir, "[internal] load git source " + url);
        if (git.isPresent()) {
            return Optional.of(new RemoteContext(url, git.get(), options.filename()));
        }
        String scheme = url.toLowerCase(Locale.ROOT);
        if (scheme.startsWith("http://") || scheme.startsWith("https://")) {
            return Optional.of(download(client, options, url));
        }
        return Optional.empty();
    }

    /** The context scoped to {@code dir} of it, as the {@code contextsubdir} option asks, for any non-local context. */
    static State scoped(State context, String dir) {
        return State.scratch()
                .file(
                        FileAction.copy(context, dir, "/", CopyOption.dirContentsOnly()),
                        OpOption.customName("[internal] scope build context to " + dir));
    }

    /** A failure to solve the context or read its Dockerfile, said of this URL. */
    GatewayException failed(String what, GatewayException cause) {
        return new GatewayException(what + " remote context " + url + ": " + cause.getMessage(), cause);
    }

    /**
     * The git source {@code url} names, if it names one ({@code #ref:subdir} and the query form as ADD takes
     * them); {@code keepGitDir} keeps .git even when the URL does not ask to, as BuildKit ORs the two.
     *
     * @throws GatewayException naming the URL, for a git URL that does not parse
     */
    static Optional<State> gitSource(String url, boolean keepGitDir, String progressName) {
        try {
            Optional<GitRef> git = GitRef.parse(url);
            return git.map(ref -> (keepGitDir ? ref.with(true, ref.checksum()) : ref).source(progressName));
        } catch (InstructionException | IllegalArgumentException e) {
            throw new GatewayException("invalid git context " + url + ": " + e.getMessage(), e);
        }
    }

    private static boolean parseBoolean(String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "1", "t", "true" -> true;
            default -> false;
        };
    }

    private static RemoteContext download(Client client, FrontendOptions options, String url)
            throws InterruptedException {
        State file = State.http(
                url, HttpOption.filename(DOWNLOAD), OpOption.customName("[internal] load remote build context"));
        byte[] head;
        try {
            Reference ref = client.solve(SolveRequest.of(file.marshal(
                                    MarshalOptions.defaults().withDefaultPlatform(options.buildPlatform())))
                            .withEvaluate(true))
                    .ref()
                    .orElseThrow(() -> new GatewayException("the download is empty"));
            head = ref.readFile(new ReadRequest(DOWNLOAD, new FileRange(0, HEAD)));
        } catch (GatewayException e) {
            throw new GatewayException("failed to download remote context " + url + ": " + e.getMessage(), e);
        }
        if (!isArchive(head)) {
            return new RemoteContext(url, file, DOWNLOAD);
        }
        if (isGzip(head) && !gunzipsToTar(head)) {
            throw new GatewayException("remote context " + url + " is gzip-compressed but not a tar archive");
        }
        State unpacked = State.scratch()
                .file(
                        FileAction.copy(file, "/" + DOWNLOAD, "/", CopyOption.attemptUnpack()),
                        OpOption.customName("[internal] unpack remote build context"));
        return new RemoteContext(url, unpacked, options.filename());
    }

    /** Compressed (bzip2, gzip, xz) or a tar archive, by the magic numbers BuildKit looks for. */
    private static boolean isArchive(byte[] head) {
        return startsWith(head, 0x42, 0x5A, 0x68)
                || isGzip(head)
                || startsWith(head, 0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00)
                || isTarHeader(head);
    }

    private static boolean isGzip(byte[] head) {
        return startsWith(head, 0x1F, 0x8B, 0x08);
    }

    /**
     * Whether the start of a gzip stream unpacks to a tar header; a head cut before a whole block could be
     * decompressed is given the benefit of the doubt.
     */
    private static boolean gunzipsToTar(byte[] head) {
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(head))) {
            return isTarHeader(in.readNBytes(TAR_BLOCK));
        } catch (EOFException cut) {
            return true;
        } catch (IOException corrupt) {
            return false;
        }
    }

    /** A tar header block: not all zeros, and its checksum field matches the sum of its bytes. */
    private static boolean isTarHeader(byte[] block) {
        if (block.length < TAR_BLOCK) {
            return false;
        }
        long unsigned = 0;
        long signed = 0;
        boolean zero = true;
        for (int i = 0; i < TAR_BLOCK; i++) {
            byte b = i >= 148 && i < 156 ? (byte) ' ' : block[i];
            unsigned += b & 0xFF;
            signed += b;
            zero &= block[i] == 0;
        }
        String field = new String(Arrays.copyOfRange(block, 148, 156), StandardCharsets.US_ASCII)
                .replace("\0", " ")
                .strip();
        if (zero || field.isEmpty()) {
            return false;
        }
        try {
            long recorded = Long.parseLong(field, 8);
            return recorded == unsigned || recorded == signed;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static boolean startsWith(byte[] data, int... magic) {
        if (data.length < magic.length) {
            return false;
        }
        for (int i = 0; i < magic.length; i++) {
            if ((data[i] & 0xFF) != magic[i]) {
                return false;
            }
        }
        return true;
    }
}
