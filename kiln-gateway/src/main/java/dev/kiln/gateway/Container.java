package dev.kiln.gateway;

/**
 * A container made by {@link Client#newContainer}: processes start in it until it is released.
 * Closing releases it, so try-with-resources frees every mount even when a caller fails.
 */
public interface Container extends AutoCloseable {

    ContainerProcess start(StartRequest request) throws InterruptedException;

    /** Stops every process still running and frees the container's mounts. */
    void release() throws InterruptedException;

    @Override
    default void close() throws InterruptedException {
        release();
    }
}
