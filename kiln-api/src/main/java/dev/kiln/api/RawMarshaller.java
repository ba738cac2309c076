package dev.kiln.api;

import io.grpc.MethodDescriptor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * gRPC messages as their encoded bytes: for calls whose messages are written and read by hand (a file's chunks, the
 * session's health check, the client's Solve and Status) rather than through the generated classes.
 */
public enum RawMarshaller implements MethodDescriptor.Marshaller<byte[]> {
    INSTANCE;

    /** The method {@code service}/{@code method} of {@code type}, its messages as their bytes. */
    public static MethodDescriptor<byte[], byte[]> method(
            MethodDescriptor.MethodType type, String service, String method) {
        return MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(type)
                .setFullMethodName(MethodDescriptor.generateFullMethodName(service, method))
                .setRequestMarshaller(INSTANCE)
                .setResponseMarshaller(INSTANCE)
                .build();
    }

    @Override
    public InputStream stream(byte[] value) {
        return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
        try {
            return stream.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
