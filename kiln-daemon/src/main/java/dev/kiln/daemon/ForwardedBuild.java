package dev.kiln.daemon;

import dev.kiln.gateway.BuildFunction;
import dev.kiln.gateway.Client;
import dev.kiln.gateway.Container;
import dev.kiln.gateway.GatewayException;
import dev.kiln.gateway.Reference;
import dev.kiln.gateway.Result;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * A build whose frontend runs in the client, as buildctl and docker buildx run theirs (BuildKit's gateway forwarder):
 * the Control.Solve names neither frontend nor definition, the engine runs {@link #function()}, which publishes the
 * engine's gateway {@link Client} for the client's LLBBridge calls under the build's ref and waits for the client's
 * Return. The references the bridge hands out are kept here by id, because the client names them by id only, in its
 * later reads and in the result it returns; so are the containers the client made, by the ids it gave them.
 */
final class ForwardedBuild {

    private final String ref;
    private final BooleanSupplier clientGone;
    private final CompletableFuture<Client> client = new CompletableFuture<>();
    private final CompletableFuture<Result> returned = new CompletableFuture<>();
    private final Map<String, Reference> refs = new ConcurrentHashMap<>();
    private final Map<String, Container> containers = new ConcurrentHashMap<>();
    private volatile boolean ended;

    /**
     * @param clientGone whether the client's session has ended; a client that went away never calls Return
     */
    ForwardedBuild(String ref, BooleanSupplier clientGone) {
        this.ref = ref;
        this.clientGone = clientGone;
    }

    String ref() {
        return ref;
    }

    /** The engine's frontend for this build: it serves the client's calls until the client returns a result. */
    BuildFunction function() {
        return engineClient -> {
            client.complete(engineClient);
            return awaitReturn();
        };
    }

    private Result awaitReturn() throws InterruptedException {
        while (true) {
            try {
                return returned.get(1, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                if (clientGone.getAsBoolean()) {
                    throw new GatewayException("the client's session ended before its frontend returned a result");
                }
            } catch (ExecutionException e) {
                if (e.getCause() instanceof GatewayException failure) {
                    // a new exception: this thread's stack, the client's message
                    throw new GatewayException(failure.getMessage(), failure);
                }
                throw new GatewayException(String.valueOf(e.getCause().getMessage()), e.getCause());
            }
        }
    }

    /**
     * The engine's client, once the engine has started the build; the client's first calls (Ping) can arrive before.
     *
     * @throws io.grpc.StatusRuntimeException FAILED_PRECONDITION when the build ended first or did not start in time
     */
    Client client(Duration timeout) throws InterruptedException {
        try {
            return client.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw Status.FAILED_PRECONDITION
                    .withDescription(
                            "build " + ref + " has ended: " + e.getCause().getMessage())
                    .asRuntimeException();
        } catch (TimeoutException e) {
            throw Status.FAILED_PRECONDITION
                    .withDescription("build " + ref + " did not start within " + timeout)
                    .asRuntimeException();
        }
    }

    /** Keeps {@code reference} for the client's later calls and returns its new id. */
    String register(Reference reference) {
        String id = UUID.randomUUID().toString().replace("-", "");
        refs.put(id, reference);
        return id;
    }

    /** @throws io.grpc.StatusRuntimeException NOT_FOUND for an id this build did not hand out */
    Reference reference(String id) {
        Reference reference = refs.get(id);
        if (reference == null) {
            throw Status.NOT_FOUND
                    .withDescription("no such ref " + (id.isEmpty() ? "(empty id)" : id) + " in build " + ref)
                    .asRuntimeException();
        }
        return reference;
    }

    /**
     * Keeps {@code container} under the client's id {@code id}.
     *
     * @throws io.grpc.StatusRuntimeException ALREADY_EXISTS for an id in use (the container is released), and
     *     FAILED_PRECONDITION when the build has ended (the container is released: nothing would release it later)
     */
    void addContainer(String id, Container container) throws InterruptedException {
        if (containers.putIfAbsent(id, container) != null) {
            container.release();
            throw Status.ALREADY_EXISTS
                    .withDescription("Container " + id + " already exists")
                    .asRuntimeException();
        }
        if (ended && containers.remove(id, container)) {
            container.release();
            throw Status.FAILED_PRECONDITION
                    .withDescription("build " + ref + " has ended")
                    .asRuntimeException();
        }
    }

    /** Whether the client's id {@code id} names a container already. */
    boolean hasContainer(String id) {
        return containers.containsKey(id);
    }

    /** The container the client calls {@code id}, or null. */
    Container container(String id) {
        return containers.get(id);
    }

    /** Forgets the container the client calls {@code id} and returns it, or null when there is none. */
    Container removeContainer(String id) {
        return containers.remove(id);
    }

    /** Whether the client has returned (a result or an error): the build is ending, its containers go. */
    boolean returned() {
        return returned.isDone();
    }

    /** The client's result: the build exports it. Only the first Return counts. */
    boolean complete(Result result) {
        return returned.complete(result);
    }

    /** The client's frontend failed (or returned something unusable): the build fails with {@code message}. */
    boolean fail(String message) {
        return returned.completeExceptionally(new GatewayException(message));
    }

    /** The client's frontend failed with {@code error}, whose details (its Dockerfile's lines) the failure keeps. */
    boolean fail(String message, StatusRuntimeException error) {
        return returned.completeExceptionally(new GatewayException(message, error));
    }

    /**
     * The build is over (exported, failed or cancelled): bridge calls still waiting for its client hear so, and its
     * containers are released.
     */
    void end(String why) {
        ended = true;
        client.completeExceptionally(new IllegalStateException(why));
        returned.completeExceptionally(new GatewayException(why));
        refs.clear();
        // the engine released the build's containers as the build ended; a container made since goes here
        for (String id : java.util.List.copyOf(containers.keySet())) {
            Container container = containers.remove(id);
            if (container != null) {
                try {
                    container.release();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (RuntimeException e) {
                    // released already, or its release failed: the worker's own cleanup deletes what is left
                }
            }
        }
    }
}
