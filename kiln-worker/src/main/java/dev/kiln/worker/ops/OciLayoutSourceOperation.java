package dev.kiln.worker.ops;

import dev.kiln.core.Digest;
import dev.kiln.core.ImageReference;
import dev.kiln.core.Platform;
import dev.kiln.llb.pb.Op;
import dev.kiln.llb.pb.SourceOp;
import dev.kiln.oci.registry.ResolvedImage;
import dev.kiln.solver.CacheMap;
import dev.kiln.solver.Operation;
import dev.kiln.solver.OperationContext;
import dev.kiln.solver.Result;
import dev.kiln.worker.BuildSession;
import dev.kiln.worker.ClientContentStore;
import dev.kiln.worker.SessionClient;
import dev.kiln.worker.SnapshotResult;
import dev.kiln.worker.image.ImageStore;
import dev.kiln.worker.image.OciLayout;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * An {@code oci-layout://STORE@sha256:...} source: an image from an OCI layout the client gave the
 * build (STORE, or the {@code oci.store} attribute, names it; see {@link #layout}), unpacked like a
 * pulled image. The digest pins the content, so the key needs no I/O.
 */
public final class OciLayoutSourceOperation implements Operation {

    private final Op op;
    private final ImageStore images;
    private final BuildSession session;
    private final Platform platform;
    private final ImageReference reference;

    public OciLayoutSourceOperation(Op op, ImageStore images, BuildSession session, Platform hostPlatform) {
        this.op = op;
        this.images = images;
        this.session = session;
        this.reference =
                ImageReference.parseNormalized(op.getSource().getIdentifier().substring("oci-layout://".length()));
        this.platform = OpKeys.platform(op, hostPlatform);
    }

    /**
     * The layout of the store named by oci.store, or by the reference's last path element: the content store
     * {@code oci:STORE} when the session's client serves content stores (BuildKit's protocol: buildctl's
     * {@code --oci-layout} and buildx's {@code oci-layout://} contexts), else the directory the client gave as the
     * local STORE (Kiln's client on this host, and the embedded engine).
     */
    public static OciLayout layout(BuildSession session, ImageReference reference, String store) throws IOException {
        String name =
                store.isEmpty() ? reference.path().substring(reference.path().lastIndexOf('/') + 1) : store;
        Optional<ClientContentStore> served = session.client().contentStore(STORE_PREFIX + name);
        if (served.isPresent()) {
            return OciLayout.clientStore(name, served.get());
        }
        return OciLayout.directory(session.localDir(name, SessionClient.DirectoryRequest.whole(name))
                .orElseThrow(() -> new IOException("OCI layout store \"" + name + "\" of " + reference
                        + " was not given a directory (pass --oci-layout " + name + "=DIR)")));
    }

    /** How a client names an OCI layout's content store among those it serves, as BuildKit's client does. */
    static final String STORE_PREFIX = "oci:";

    @Override
    public CacheMap cacheMap(OperationContext ctx) throws IOException {
        if (reference.digest() == null || reference.digest().isEmpty()) {
            throw new IOException("oci-layout source " + reference + " needs a digest (NAME@sha256:...)");
        }
        SourceOp source = op.getSource().toBuilder().removeAttrs("oci.session").build();
        return OpKeys.bySourceContent(op.toBuilder().setSource(source).build(), platform.toString());
    }

    @Override
    public List<Result> exec(OperationContext ctx, List<Result> inputs) throws Exception {
        OciLayout layout = layout(session, reference, op.getSource().getAttrsOrDefault("oci.store", ""));
        ResolvedImage image = layout.resolve(reference, Digest.parse(reference.digest()), platform);
        layout.importLayers(image, images.content());
        return List.of(new SnapshotResult(images.unpack(image, line -> {
            byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
            ctx.log(1, bytes, 0, bytes.length);
        })));
    }
}
