package dev.kiln.worker.ops;

import dev.kiln.core.ImageReference;
import dev.kiln.core.Platform;
import dev.kiln.llb.pb.Op;
import dev.kiln.oci.registry.ResolvedImage;
import dev.kiln.solver.CacheMap;
import dev.kiln.solver.Operation;
import dev.kiln.solver.OperationContext;
import dev.kiln.solver.Result;
import dev.kiln.worker.SnapshotResult;
import dev.kiln.worker.image.ImageStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A {@code docker-image://} source: an image's filesystem, pulled from its registry and unpacked
 * into snapshots shared by every build. A reference pinned to a digest is keyed without asking
 * the registry, so a cached rebuild of {@code FROM image@sha256:...} needs no network; a tag is
 * resolved on each build (as BuildKit's default resolve mode does), so a moved tag is a new key.
 */
public final class ImageSourceOperation implements Operation {

    /** The cache map note with the manifest digest (and platform, for a pinned reference) the key was made of. */
    public static final String IMAGE_NOTE = "image";

    private final Op op;
    private final ImageStore images;
    private final ImageReference reference;
    private final Platform platform;
    private ResolvedImage resolved;

    public ImageSourceOperation(Op op, ImageStore images, Platform hostPlatform) {
        this.op = op;
        this.images = images;
        String identifier = op.getSource().getIdentifier();
        this.reference = ImageReference.parseNormalized(identifier.substring("docker-image://".length()));
        this.platform = OpKeys.platform(op, hostPlatform);
    }

    @Override
    public CacheMap cacheMap(OperationContext ctx) throws Exception {
        String content = reference.digest() != null
                        && !reference.digest().isEmpty()
                        && !"pull".equals(op.getSource().getAttrsOrDefault("image.resolvemode", ""))
                ? reference.digest() + " " + platform
                : resolve(ctx).image().descriptor().digest().toString();
        return OpKeys.bySourceContent(op, content).withNotes(java.util.Map.of(IMAGE_NOTE, content));
    }

    @Override
    public List<Result> exec(OperationContext ctx, List<Result> inputs) throws Exception {
        ResolvedImage image = resolve(ctx);
        return List.of(new SnapshotResult(images.unpack(image, line -> log(ctx, line))));
    }

    private synchronized ResolvedImage resolve(OperationContext ctx) throws IOException {
        if (resolved == null) {
            log(ctx, "resolving " + reference + " for " + platform);
            resolved = images.resolve(reference, platform, op.getSource().getAttrsOrDefault("image.resolvemode", ""));
        }
        return resolved;
    }

    private static void log(OperationContext ctx, String line) {
        byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
        ctx.log(1, bytes, 0, bytes.length);
    }
}
