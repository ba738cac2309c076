package dev.kiln.gateway;

import dev.kiln.core.Digest;
import dev.kiln.llb.State;
import java.util.Map;

/**
 * What a frontend may ask of the engine. Every blocking call honours interruption of the calling
 * thread as cancellation; failures are {@link GatewayException}s whose message a user can act on.
 */
public interface Client {

    /** Solves a definition (or runs another frontend) and returns its result; lazily unless {@code evaluate}. */
    Result solve(SolveRequest request) throws InterruptedException;

    /** Resolves an image reference to the digest and raw bytes of its image config. */
    ResolvedImageConfig resolveImageConfig(String ref, ResolveImageConfigOpt options) throws InterruptedException;

    /** The options and facts of this build: frontend options, session, workers, capabilities. */
    BuildOpts buildOpts();

    /** The named inputs given to the frontend (for example {@code context} and {@code dockerfile}) as states. */
    Map<String, State> inputs() throws InterruptedException;

    /** Creates a container from solved references, ready to start processes in. */
    Container newContainer(NewContainerRequest request) throws InterruptedException;

    /** Records a warning about the vertex {@code vertex} (may be null) that the user sees at the end of the build. */
    void warn(Digest vertex, String message, WarnOpts options);
}
