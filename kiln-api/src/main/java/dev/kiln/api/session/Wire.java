package dev.kiln.api.session;

import java.io.IOException;

/** The blocking message operations a transfer needs from a stream call ({@link CallStream}). */
interface Wire<I, O> {

    /** The next message; null once the peer ended its side normally. */
    I receive() throws IOException, InterruptedException;

    /** Sends, waiting while flow control says the peer is not ready. */
    void send(O message) throws IOException, InterruptedException;

    /** Sends at once, for small control messages that must not hold up the reading thread. */
    void sendNow(O message) throws IOException;
}
