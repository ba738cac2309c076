package dev.kiln.cli.remote;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Reads protobuf's wire format field by field, for the few messages the build client receives ({@link ProtoWriter}
 * says why not protobuf-java). Unknown fields are skipped, as protobuf does, so a daemon that sends more than these
 * messages declare is still understood; malformed input is an {@link IllegalArgumentException} naming the offset.
 */
final class ProtoReader {

    private final byte[] data;
    private final int end;
    private int position;
    private int tag;

    ProtoReader(byte[] data) {
        this(data, 0, data.length);
    }

    private ProtoReader(byte[] data, int start, int end) {
        this.data = data;
        this.position = start;
        this.end = end;
    }

    /** Moves to the next field; false at the end of the message. */
    boolean next() {
        if (position >= end) {
            return false;
        }
        tag = (int) varint();
        if (tag >>> 3 == 0) {
            throw malformed("field number 0");
        }
        return true;
    }

    int field() {
        return tag >>> 3;
    }

    long int64() {
        expect(0);
        return varint();
    }

    boolean bool() {
        return int64() != 0;
    }

    String string() {
        int length = length();
        String value = new String(data, position, length, StandardCharsets.UTF_8);
        position += length;
        return value;
    }

    byte[] bytes() {
        int length = length();
        byte[] value = java.util.Arrays.copyOfRange(data, position, position + length);
        position += length;
        return value;
    }

    /** The current field's nested message. */
    ProtoReader message() {
        int length = length();
        ProtoReader nested = new ProtoReader(data, position, position + length);
        position += length;
        return nested;
    }

    /**
     * Reads the rest of this message for two of its string fields, skipping the others: a map entry's key and value
     * (fields 1 and 2), a warning's vertex and message. An absent field is empty; a repeated one, its last value.
     */
    Map.Entry<String, String> twoStrings(int firstField, int secondField) {
        String first = "";
        String second = "";
        while (next()) {
            if (field() == firstField) {
                first = string();
            } else if (field() == secondField) {
                second = string();
            } else {
                skip();
            }
        }
        return Map.entry(first, second);
    }

    /** Passes over the current field, whatever its wire type. */
    void skip() {
        switch (tag & 7) {
            case 0 -> varint();
            case 1 -> advance(8);
            case 2 -> advance(length());
            case 5 -> advance(4);
            default -> throw malformed("wire type " + (tag & 7));
        }
    }

    private int length() {
        expect(2);
        long length = varint();
        if (length < 0 || length > end - position) {
            throw malformed("a length of " + length + " beyond the message's end");
        }
        return (int) length;
    }

    private void advance(int bytes) {
        if (bytes > end - position) {
            throw malformed("a field beyond the message's end");
        }
        position += bytes;
    }

    private void expect(int wireType) {
        if ((tag & 7) != wireType) {
            throw malformed("field " + field() + " has wire type " + (tag & 7) + ", not " + wireType);
        }
    }

    private long varint() {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (position >= end) {
                throw malformed("a varint cut short");
            }
            byte b = data[position++];
            value |= (long) (b & 0x7F) << shift;
            if (b >= 0) {
                return value;
            }
        }
        throw malformed("a varint longer than 10 bytes");
    }

    private IllegalArgumentException malformed(String what) {
        return new IllegalArgumentException("malformed protobuf message: " + what + " at offset " + position);
    }
}
