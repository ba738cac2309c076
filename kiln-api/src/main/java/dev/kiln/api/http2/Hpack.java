package dev.kiln.api.http2;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * HPACK (RFC 7541) for one connection's direction from the server: the decoder is complete (static table,
 * dynamic table with size updates, integers, Huffman strings), since grpc-java's server uses all of it. The
 * encoder side is a few static writers: we send literals without indexing and without Huffman, which any
 * decoder accepts and which keeps no state.
 *
 * <p>Names and values are ISO-8859-1 strings, one char per octet, so no byte is lost.
 */
final class Hpack {

    /** RFC 7541 Appendix A, indices 1..61 (index 0 unused). */
    private static final String[] STATIC = {
        null,
        null,
        ":authority",
        "",
        ":method",
        "GET",
        ":method",
        "POST",
        ":path",
        "/",
        ":path",
        "/index.html",
        ":scheme",
        "http",
        ":scheme",
        "https",
        ":status",
        "200",
        ":status",
        "204",
        ":status",
        "206",
        ":status",
        "304",
        ":status",
        "400",
        ":status",
        "404",
        ":status",
        "500",
        "accept-charset",
        "",
        "accept-encoding",
        "gzip, deflate",
        "accept-language",
        "",
        "accept-ranges",
        "",
        "accept",
        "",
        "access-control-allow-origin",
        "",
        "age",
        "",
        "allow",
        "",
        "authorization",
        "",
        "cache-control",
        "",
        "content-disposition",
        "",
        "content-encoding",
        "",
        "content-language",
        "",
        "content-length",
        "",
        "content-location",
        "",
        "content-range",
        "",
        "content-type",
        "",
        "cookie",
        "",
        "date",
        "",
        "etag",
        "",
        "expect",
        "",
        "expires",
        "",
        "from",
        "",
        "host",
        "",
        "if-match",
        "",
        "if-modified-since",
        "",
        "if-none-match",
        "",
        "if-range",
        "",
        "if-unmodified-since",
        "",
        "last-modified",
        "",
        "link",
        "",
        "location",
        "",
        "max-forwards",
        "",
        "proxy-authenticate",
        "",
        "proxy-authorization",
        "",
        "range",
        "",
        "referer",
        "",
        "refresh",
        "",
        "retry-after",
        "",
        "server",
        "",
        "set-cookie",
        "",
        "strict-transport-security",
        "",
        "transfer-encoding",
        "",
        "user-agent",
        "",
        "vary",
        "",
        "via",
        "",
        "www-authenticate",
        "",
    };

    static final int STATIC_SIZE = STATIC.length / 2 - 1;

    static final int INDEX_AUTHORITY = 1;
    static final int INDEX_METHOD_POST = 3;
    static final int INDEX_PATH = 4;
    static final int INDEX_SCHEME_HTTP = 6;
    static final int INDEX_CONTENT_TYPE = 31;
    static final int INDEX_USER_AGENT = 58;

    private Hpack() {}

    /** The decoding context of one connection: its dynamic table. Used by the reader thread only. */
    static final class Decoder {

        /** Entries as name, value pairs in a ring, newest at {@code head}; sizes per RFC 7541 4.1. */
        private String[] ring = new String[64];

        private int head;
        private int count;
        private int size;
        private int maxSize;
        private final int limit;

        /** {@code limit} is our SETTINGS_HEADER_TABLE_SIZE: the most a size update may ask for. */
        Decoder(int limit) {
            this.limit = limit;
            this.maxSize = limit;
        }

        int tableSize() {
            return size;
        }

        int entries() {
            return count;
        }

        /** Decodes a whole header block into {@code out} as name, value, name, value ... */
        void decode(byte[] b, int off, int len, List<String> out) throws HpackException {
            int[] pos = {off};
            int end = off + len;
            boolean fieldSeen = false;
            while (pos[0] < end) {
                int first = b[pos[0]] & 0xff;
                if ((first & 0x80) != 0) {
                    int index = readInt(b, pos, end, 7);
                    if (index == 0) {
                        throw new HpackException("indexed field with index 0");
                    }
                    out.add(name(index));
                    out.add(value(index));
                    fieldSeen = true;
                } else if ((first & 0xc0) == 0x40) {
                    String[] field = literal(b, pos, end, 6);
                    add(field[0], field[1]);
                    out.add(field[0]);
                    out.add(field[1]);
                    fieldSeen = true;
                } else if ((first & 0xe0) == 0x20) {
                    if (fieldSeen) {
                        throw new HpackException("dynamic table size update after a header field");
                    }
                    int newMax = readInt(b, pos, end, 5);
                    if (newMax > limit) {
                        throw new HpackException("dynamic table size update " + newMax + " above " + limit);
                    }
                    maxSize = newMax;
                    evict(0);
                } else {
                    // 0000 without indexing, 0001 never indexed: both 4-bit prefixes, neither touches the table.
                    String[] field = literal(b, pos, end, 4);
                    out.add(field[0]);
                    out.add(field[1]);
                    fieldSeen = true;
                }
            }
        }

        private String[] literal(byte[] b, int[] pos, int end, int prefix) throws HpackException {
            int index = readInt(b, pos, end, prefix);
            String name = index == 0 ? readString(b, pos, end) : name(index);
            String value = readString(b, pos, end);
            return new String[] {name, value};
        }

        private String name(int index) throws HpackException {
            if (index <= STATIC_SIZE) {
                return STATIC[index * 2];
            }
            return ring[slot(index - STATIC_SIZE - 1)];
        }

        private String value(int index) throws HpackException {
            if (index <= STATIC_SIZE) {
                return STATIC[index * 2 + 1];
            }
            return ring[slot(index - STATIC_SIZE - 1) + 1];
        }

        /** The ring slot of the dynamic entry {@code age} places older than the newest. */
        private int slot(int age) throws HpackException {
            if (age >= count) {
                throw new HpackException("header index " + (age + STATIC_SIZE + 1) + " beyond the table");
            }
            int entries = ring.length / 2;
            return ((head - age + entries) % entries) * 2;
        }

        private void add(String name, String value) {
            int entrySize = name.length() + value.length() + 32;
            if (entrySize > maxSize) {
                // RFC 7541 4.4: an entry larger than the table empties it and is not added.
                evict(maxSize);
                return;
            }
            evict(maxSize - entrySize);
            int entries = ring.length / 2;
            if (count == entries) {
                String[] bigger = new String[ring.length * 2];
                for (int i = 0; i < count; i++) {
                    int from = ((head - i + entries) % entries) * 2;
                    int to = (count - 1 - i) * 2;
                    bigger[to] = ring[from];
                    bigger[to + 1] = ring[from + 1];
                }
                ring = bigger;
                head = count - 1;
                entries = ring.length / 2;
            }
            head = (head + 1) % entries;
            ring[head * 2] = name;
            ring[head * 2 + 1] = value;
            count++;
            size += entrySize;
        }

        /** Drops the oldest entries until the table holds at most {@code target} octets. */
        private void evict(int target) {
            int entries = ring.length / 2;
            while (size > target && count > 0) {
                int oldest = ((head - (count - 1) + entries) % entries) * 2;
                size -= ring[oldest].length() + ring[oldest + 1].length() + 32;
                ring[oldest] = null;
                ring[oldest + 1] = null;
                count--;
            }
        }
    }

    static int readInt(byte[] b, int[] pos, int end, int prefix) throws HpackException {
        int mask = (1 << prefix) - 1;
        int value = b[pos[0]++] & mask;
        if (value < mask) {
            return value;
        }
        int shift = 0;
        while (true) {
            if (pos[0] >= end) {
                throw new HpackException("truncated integer");
            }
            int next = b[pos[0]++] & 0xff;
            if (shift > 21) {
                throw new HpackException("integer overflow");
            }
            value += (next & 0x7f) << shift;
            shift += 7;
            if ((next & 0x80) == 0) {
                if (value < 0) {
                    throw new HpackException("integer overflow");
                }
                return value;
            }
        }
    }

    static String readString(byte[] b, int[] pos, int end) throws HpackException {
        if (pos[0] >= end) {
            throw new HpackException("truncated string");
        }
        boolean huffman = (b[pos[0]] & 0x80) != 0;
        int len = readInt(b, pos, end, 7);
        if (len > end - pos[0]) {
            throw new HpackException("string longer than the header block");
        }
        int at = pos[0];
        pos[0] += len;
        return huffman ? Huffman.decode(b, at, len) : new String(b, at, len, StandardCharsets.ISO_8859_1);
    }

    // Encoder side: literals without indexing, raw strings.

    static void writeInt(ByteArrayOutputStream out, int firstBits, int prefix, int value) {
        int mask = (1 << prefix) - 1;
        if (value < mask) {
            out.write(firstBits | value);
            return;
        }
        out.write(firstBits | mask);
        value -= mask;
        while (value >= 0x80) {
            out.write((value & 0x7f) | 0x80);
            value >>>= 7;
        }
        out.write(value);
    }

    static void writeIndexed(ByteArrayOutputStream out, int index) {
        writeInt(out, 0x80, 7, index);
    }

    /** A literal without indexing whose name is static entry {@code nameIndex}. */
    static void writeLiteral(ByteArrayOutputStream out, int nameIndex, String value) {
        writeInt(out, 0x00, 4, nameIndex);
        writeString(out, value);
    }

    /** A literal without indexing with a new name. */
    static void writeLiteral(ByteArrayOutputStream out, String name, String value) {
        out.write(0x00);
        writeString(out, name);
        writeString(out, value);
    }

    private static void writeString(ByteArrayOutputStream out, String s) {
        int n = s.length();
        writeInt(out, 0x00, 7, n);
        for (int i = 0; i < n; i++) {
            out.write(s.charAt(i));
        }
    }
}
