package dev.kiln.engine.gateway;

import dev.kiln.gateway.Client;
import dev.kiln.gateway.Result;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.function.BooleanSupplier;

/**
 * BuildKit's LLBBridge served to one frontend container over its stdin and stdout, bound to one build's
 * {@link Client}. The engine runs frontend images ({@link GatewayFrontend}) but speaks no gRPC: the implementation is
 * the daemon's bridge service (kiln-daemon), found on the class path as a {@link java.util.ServiceLoader} service, so
 * the daemon and {@code kiln build --no-daemon} serve frontend containers with the same code that serves buildctl's
 * forwarded builds.
 */
public interface FrontendBridge {

    /**
     * Starts serving {@code client} on a new connection.
     *
     * @param frontend the frontend image's name, for the messages of a failed build
     */
    Connection open(Client client, String frontend) throws IOException;

    /** One frontend's connection: its two byte streams and the result it returns. */
    interface Connection extends AutoCloseable {

        /** The bridge's bytes for the frontend: its standard input. */
        InputStream toFrontend();

        /** The frontend's standard output: the bridge's input. */
        OutputStream fromFrontend();

        /**
         * Waits for the frontend's Return and gives its result.
         *
         * @param frontendEnded whether the frontend's process has ended: then no Return can come any more (nor does one
         *     once the connection has ended)
         * @throws dev.kiln.gateway.GatewayException the error the frontend returned, or that it ended without a result
         */
        Result awaitResult(BooleanSupplier frontendEnded) throws InterruptedException;

        /**
         * Whether the connection has ended without a Return: the frontend closed its stdout, or wrote something the
         * bridge could not read as HTTP/2.
         */
        boolean ended();

        /** When the frontend made its first call (System.nanoTime()), or 0 when it made none yet. */
        long firstCallNanos();

        /** Ends the connection: calls in flight fail, containers the frontend made are released. */
        @Override
        void close();
    }
}
