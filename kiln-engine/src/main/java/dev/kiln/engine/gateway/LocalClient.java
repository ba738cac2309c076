package dev.kiln.engine.gateway;

import dev.kiln.core.Digest;
import dev.kiln.core.ImageReference;
import dev.kiln.core.Platform;
import dev.kiln.engine.Entitlement;
import dev.kiln.engine.Warning;
import dev.kiln.gateway.BuildFunction;
import dev.kiln.gateway.BuildOpts;
import dev.kiln.gateway.Client;
import dev.kiln.gateway.Container;
import dev.kiln.gateway.GatewayException;
import dev.kiln.gateway.NewContainerRequest;
import dev.kiln.gateway.ResolveImageConfigOpt;
import dev.kiln.gateway.ResolvedImageConfig;
import dev.kiln.gateway.Result;
import dev.kiln.gateway.SolveRequest;
import dev.kiln.gateway.WarnOpts;
import dev.kiln.llb.LlbException;
import dev.kiln.llb.LlbGraph;
import dev.kiln.llb.State;
import dev.kiln.llb.pb.Definition;
import dev.kiln.oci.registry.ResolvedImage;
import dev.kiln.worker.Worker;
import dev.kiln.worker.ops.OciLayoutSourceOperation;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The gateway {@link Client} of the embedded engine: frontends run in this process and their
 * solves go straight to the solver. A nested frontend solve gets a client of its own with that
 * frontend's options and inputs.
 */
public final class LocalClient implements Client {

    private final BuildContext build;
    private final BuildOpts opts;
    private final Map<String, Definition> inputs;

    public LocalClient(BuildContext build, Map<String, String> frontendOpts, Map<String, Definition> inputs) {
        this.build = build;
        BuildOpts base = build.buildOpts();
        this.opts = new BuildOpts(
                frontendOpts, base.sessionId(), base.workers(), base.product(), base.llbCaps(), base.caps());
        this.inputs = Map.copyOf(inputs);
    }

    @Override
    public Result solve(SolveRequest request) throws InterruptedException {
        if (request.definition() != null) {
            return solveDefinition(request.definition(), request.evaluate());
        }
        if (GatewayFrontend.NAME.equals(request.frontend())) {
            // a frontend image: its gateway calls come to a client with the solve's options and inputs
            return GatewayFrontend.run(
                    build,
                    new LocalClient(build, request.frontendOpt(), request.frontendInputs()),
                    request.frontendInputs());
        }
        BuildFunction frontend = build.frontends()
                .lookup(request.frontend())
                .orElseThrow(() -> new GatewayException("frontend " + request.frontend() + " is not available; known: "
                        + build.frontends().names()));
        LocalClient nested = new LocalClient(build, request.frontendOpt(), request.frontendInputs());
        try {
            return frontend.build(nested);
        } catch (GatewayException | InterruptedException e) {
            throw e;
        } catch (Exception e) {
            throw new GatewayException("frontend " + request.frontend() + " failed: " + e.getMessage(), e);
        }
    }

    private Result solveDefinition(Definition definition, boolean evaluate) throws InterruptedException {
        LlbGraph graph;
        try {
            graph = LlbGraph.decode(definition);
        } catch (LlbException e) {
            throw new GatewayException("invalid LLB definition: " + e.getMessage(), e);
        }
        Entitlement.check(graph, build.entitlements());
        build.graphs().add(graph);
        if (graph.output().isEmpty()) {
            return Result.empty();
        }
        SolvedReference ref = new SolvedReference(build, graph, graph.output().get());
        if (evaluate) {
            ref.evaluate();
        }
        return Result.of(ref);
    }

    /**
     * Asks the image's registry for its config. The digest returned is that of what the reference
     * points at (the index for a multi-platform image), which is what a frontend pins the image to.
     */
    @Override
    public ResolvedImageConfig resolveImageConfig(String ref, ResolveImageConfigOpt options) {
        ImageReference reference;
        try {
            reference = ImageReference.parseNormalized(ref);
        } catch (IllegalArgumentException e) {
            throw new GatewayException("invalid image reference \"" + ref + "\": " + e.getMessage(), e);
        }
        Platform platform = options.platform() == null
                ? Worker.hostPlatform()
                : Platform.of(
                        options.platform().getOS(),
                        options.platform().getArchitecture(),
                        options.platform().getVariant());
        boolean ociLayout = options.store() == ResolveImageConfigOpt.ImageStore.OCI_LAYOUT;
        try {
            ResolvedImage image = build.imageResolutions()
                    .resolve(
                            new ImageResolutions.Key(
                                    reference, platform, options.resolveMode(), ociLayout ? options.storeId() : null),
                            () -> ociLayout
                                    ? ociLayoutImage(reference, options.storeId(), platform)
                                    : build.worker()
                                            .images(build.session())
                                            .resolve(reference, platform, options.resolveMode()));
            return new ResolvedImageConfig(
                    image.pinned().toString(), image.root().descriptor().digest(), image.configBytes());
        } catch (IOException e) {
            throw new GatewayException("resolve image config for " + reference + ": " + e.getMessage(), e);
        }
    }

    private ResolvedImage ociLayoutImage(ImageReference reference, String store, Platform platform) throws IOException {
        if (reference.digest() == null || reference.digest().isEmpty()) {
            throw new GatewayException("an OCI layout image needs a digest (NAME@sha256:...), not " + reference);
        }
        return OciLayoutSourceOperation.layout(build.session(), reference, store)
                .resolve(reference, Digest.parse(reference.digest()), platform);
    }

    @Override
    public BuildOpts buildOpts() {
        return opts;
    }

    @Override
    public Map<String, State> inputs() {
        Map<String, State> states = new LinkedHashMap<>();
        inputs.forEach((name, definition) -> states.put(name, State.fromDefinition(definition)));
        return states;
    }

    @Override
    public Container newContainer(NewContainerRequest request) throws InterruptedException {
        LocalContainer container = LocalContainer.create(build, request);
        build.containers().add(container);
        return container;
    }

    @Override
    public void warn(Digest vertex, String message, WarnOpts options) {
        build.warnings()
                .add(new Warning(
                        vertex == null ? "" : vertex.toString(), message, options == null ? WarnOpts.none() : options));
    }
}
