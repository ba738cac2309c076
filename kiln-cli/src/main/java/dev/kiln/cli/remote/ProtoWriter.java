package dev.kiln.cli.remote;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Writes protobuf's wire format for the few messages the build client sends, without protobuf-java: in a command
 * that lives for a fraction of a second, protobuf's runtime and descriptors took longer to start than the daemon
 * took to answer a cached build. Fields are written in the order the caller gives, which protobuf parsers accept.
 */
final class ProtoWriter {

    private static final int VARINT = 0;
    private static final int LENGTH_DELIMITED = 2;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream(256);

    ProtoWriter string(int field, String value) {
        return value == null || value.isEmpty() ? this : bytes(field, value.getBytes(StandardCharsets.UTF_8));
    }

    ProtoWriter bytes(int field, byte[] value) {
        if (value == null || value.length == 0) {
            return this;
        }
        tag(field, LENGTH_DELIMITED);
        varint(value.length);
        out.writeBytes(value);
        return this;
    }

    ProtoWriter bool(int field, boolean value) {
        if (value) {
            tag(field, VARINT);
            varint(1);
        }
        return this;
    }

    /** A nested message, written even when empty: its presence may mean something (an empty CacheOptions). */
    ProtoWriter message(int field, ProtoWriter message) {
        byte[] body = message.toByteArray();
        tag(field, LENGTH_DELIMITED);
        varint(body.length);
        out.writeBytes(body);
        return this;
    }

    /** A {@code map<string, string>}: one entry message (key 1, value 2) per pair. */
    ProtoWriter map(int field, Map<String, String> entries) {
        for (Map.Entry<String, String> entry : entries.entrySet()) {
            message(field, new ProtoWriter().string(1, entry.getKey()).string(2, entry.getValue()));
        }
        return this;
    }

    byte[] toByteArray() {
        return out.toByteArray();
    }

    private void tag(int field, int wireType) {
        varint((long) field << 3 | wireType);
    }

    private void varint(long value) {
        while ((value & ~0x7FL) != 0) {
            out.write((int) (value & 0x7F) | 0x80);
            value >>>= 7;
        }
        out.write((int) value);
    }
}
