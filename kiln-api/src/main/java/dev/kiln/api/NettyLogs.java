package dev.kiln.api;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * grpc-java asks every Netty channel for SO_KEEPALIVE, which a unix socket does not have, and Netty logs a warning
 * for it on each connection: a daemon's log would fill with one per build, a client would print one per session.
 * The logger is held here so its level stays set (java.util.logging keeps loggers only weakly).
 */
public final class NettyLogs {

    private static final Logger BOOTSTRAP = Logger.getLogger("io.grpc.netty.shaded.io.netty.bootstrap");

    static {
        BOOTSTRAP.setLevel(Level.SEVERE);
    }

    private NettyLogs() {}

    /** Quiets the warning; calling it again does nothing more. */
    public static void quietKeepAliveWarnings() {
        // the static initializer did it
    }
}
