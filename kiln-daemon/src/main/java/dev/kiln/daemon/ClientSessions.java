package dev.kiln.daemon;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The sessions of the clients connected now, by id. A client opens its session and sends its Solve at the same time,
 * so a Solve waits a little for the session it names.
 */
final class ClientSessions {

    private final Map<String, ClientSession> sessions = new ConcurrentHashMap<>();

    void add(ClientSession session) {
        synchronized (this) {
            sessions.put(session.id(), session);
            notifyAll();
        }
    }

    void remove(ClientSession session) {
        sessions.remove(session.id(), session);
    }

    /** Whether {@code session} is still connected (a client that went away has removed it). */
    boolean connected(ClientSession session) {
        return sessions.get(session.id()) == session;
    }

    int size() {
        return sessions.size();
    }

    /** The session {@code id}, waiting up to {@code timeout} for it to connect. */
    Optional<ClientSession> await(String id, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (this) {
            while (true) {
                ClientSession session = sessions.get(id);
                if (session != null) {
                    return Optional.of(session);
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return Optional.empty();
                }
                wait(Math.max(1, left / 1_000_000));
            }
        }
    }
}
