package dev.kiln.worker.runtime;

/**
 * Where a container's stdout or stderr goes, chunk by chunk as the process writes it. Each stream calls its sink
 * from one thread; the bytes are only valid during the call.
 */
@FunctionalInterface
public interface OutputSink {
    OutputSink DISCARD = (data, offset, length) -> {};

    void write(byte[] data, int offset, int length);
}
