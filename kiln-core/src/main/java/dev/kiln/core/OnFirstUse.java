package dev.kiln.core;

import java.util.Objects;
import java.util.Optional;

/**
 * A value made when it is first asked for, then kept: a container runtime that a build without RUN steps never looks
 * for, an export stream that a build failing before its export never opens, a debug container made on the first
 * process a user starts. A maker that fails makes nothing and is tried again at the next ask.
 */
public final class OnFirstUse<T, E extends Exception> {

    /** Makes the value; what it throws reaches the caller of {@link #get()}. */
    @FunctionalInterface
    public interface Maker<T, E extends Exception> {
        T make() throws E;
    }

    private final Maker<T, E> maker;
    private T value;

    public OnFirstUse(Maker<T, E> maker) {
        this.maker = Objects.requireNonNull(maker, "maker");
    }

    /** The value, made now if this is the first ask (or the asks before failed). */
    public synchronized T get() throws E {
        if (value == null) {
            value = Objects.requireNonNull(maker.make(), "the value made on first use");
        }
        return value;
    }

    /** The value if an ask made it; never makes it. */
    public synchronized Optional<T> made() {
        return Optional.ofNullable(value);
    }

    /** The value if an ask made it, which the next ask makes anew: for a holder that releases what it made. */
    public synchronized Optional<T> take() {
        Optional<T> taken = Optional.ofNullable(value);
        value = null;
        return taken;
    }
}
