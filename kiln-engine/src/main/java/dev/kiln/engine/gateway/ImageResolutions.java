package dev.kiln.engine.gateway;

import dev.kiln.core.ImageReference;
import dev.kiln.core.Platform;
import dev.kiln.oci.registry.ResolvedImage;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;

/**
 * The images one build resolved, each once: two stages FROM one base (resolved by the frontend at the same time) make
 * one registry round trip, and every stage of the build sees the same digest for a tag. A resolution that failed is
 * not kept, so a later one asks again.
 */
final class ImageResolutions {

    /**
     * What a resolution depends on: the reference, the platform, BuildKit's resolve mode and the image store
     * ({@code layoutStore}: null for a registry, else the OCI layout store the image is read from).
     */
    record Key(ImageReference reference, Platform platform, String mode, String layoutStore) {}

    @FunctionalInterface
    interface Resolution {
        ResolvedImage resolve() throws IOException;
    }

    private final ConcurrentHashMap<Key, CompletableFuture<ResolvedImage>> resolved = new ConcurrentHashMap<>();

    /** The image {@code key} names: resolved by {@code resolution} the first time, then as it was. */
    ResolvedImage resolve(Key key, Resolution resolution) throws IOException {
        CompletableFuture<ResolvedImage> mine = new CompletableFuture<>();
        CompletableFuture<ResolvedImage> first = resolved.putIfAbsent(key, mine);
        if (first == null) {
            try {
                ResolvedImage image = resolution.resolve();
                mine.complete(image);
                return image;
            } catch (IOException | RuntimeException e) {
                resolved.remove(key, mine);
                mine.completeExceptionally(e);
                throw e;
            }
        }
        try {
            return first.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while " + key.reference() + " was being resolved");
        } catch (ExecutionException e) {
            // the caller that resolved it failed: its error is this caller's too
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IOException(e.getCause());
        }
    }
}
