package dev.kiln.llb;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Protobuf wire bytes written out by hand for golden tests. A tag byte is (field number << 3) |
 * wire type; wire type 0 is a varint, 2 a length-delimited field (length varint, then content).
 */
final class Wire {

    /** -1 as an int32 or int64 varint: ten bytes, the sign-extended 64-bit value. */
    static final byte[] MINUS_ONE = {
        (byte) 0xff,
        (byte) 0xff,
        (byte) 0xff,
        (byte) 0xff,
        (byte) 0xff,
        (byte) 0xff,
        (byte) 0xff,
        (byte) 0xff,
        (byte) 0xff,
        0x01
    };

    private Wire() {}

    /**
     * Concatenates parts: an Integer is one byte, a String its UTF-8 bytes, a byte[] itself.
     */
    static byte[] bytes(Object... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object part : parts) {
            switch (part) {
                case Integer b -> {
                    if (b < 0 || b > 0xff) {
                        throw new IllegalArgumentException("not a byte: " + b);
                    }
                    out.write(b);
                }
                case String s -> out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
                case byte[] raw -> out.writeBytes(raw);
                default -> throw new IllegalArgumentException("unknown part " + part);
            }
        }
        return out.toByteArray();
    }

    /** A length-delimited field: the tag byte, the content's length as a varint, the content. */
    static byte[] field(int tag, Object... content) {
        byte[] body = bytes(content);
        return bytes(tag, varint(body.length), body);
    }

    static byte[] varint(long value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while ((value & ~0x7fL) != 0) {
            out.write((int) (value & 0x7f) | 0x80);
            value >>>= 7;
        }
        out.write((int) value);
        return out.toByteArray();
    }
}
