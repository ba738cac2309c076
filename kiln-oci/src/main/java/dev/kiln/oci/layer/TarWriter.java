package dev.kiln.oci.layer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes tar entries in the form Go's archive/tar gives BuildKit's layers: a ustar header per entry, preceded by a
 * pax extended header only when a value does not fit ustar (long or non-ASCII names, large ids, sizes or times) or
 * when the entry has extended attributes. Owner names stay empty and no access or change times are written, so the
 * bytes depend on the entries alone.
 */
final class TarWriter {
    private static final int BLOCK = TarReader.BLOCK;
    private static final long MAX_OCTAL_7 = 07777777L;
    private static final long MAX_OCTAL_11 = 077777777777L;
    private static final byte[] ZEROS = new byte[BLOCK];

    private final OutputStream out;
    private final ContentBounds bounds;
    private final byte[] buffer = new byte[65536];

    /**
     * Told where a regular file's content starts and ends in the stream (after its header, before its padding), so a
     * compressor can cut its blocks there.
     */
    interface ContentBounds {
        ContentBounds NONE = new ContentBounds() {
            @Override
            public void contentStarts(long size) {}

            @Override
            public void contentEnds(long size) {}
        };

        /** The next byte written is the first of a file of {@code size} bytes. */
        void contentStarts(long size) throws IOException;

        /** The last byte written was the last of that file. */
        void contentEnds(long size) throws IOException;
    }

    TarWriter(OutputStream out, ContentBounds bounds) {
        this.out = out;
        this.bounds = bounds;
    }

    /** Writes one entry; for a regular file, {@code content} must yield exactly {@code entry.size()} bytes. */
    void write(TarEntry entry, InputStream content) throws IOException {
        Map<String, byte[]> pax = new TreeMap<>();
        byte[] name = bytes(entry.name());
        byte[] link = bytes(entry.linkName());
        if (name.length > 100 || !ascii(name)) {
            pax.put("path", name);
        }
        if (link.length > 100 || !ascii(link)) {
            pax.put("linkpath", link);
        }
        if (entry.uid() > MAX_OCTAL_7) {
            pax.put("uid", bytes(Long.toString(entry.uid())));
        }
        if (entry.gid() > MAX_OCTAL_7) {
            pax.put("gid", bytes(Long.toString(entry.gid())));
        }
        if (entry.size() > MAX_OCTAL_11) {
            pax.put("size", bytes(Long.toString(entry.size())));
        }
        long seconds = entry.modified().getEpochSecond();
        if (seconds < 0 || seconds > MAX_OCTAL_11) {
            pax.put("mtime", bytes(Long.toString(seconds)));
        }
        entry.xattrs().forEach((attribute, value) -> pax.put("SCHILY.xattr." + attribute, value));
        if (!pax.isEmpty()) {
            byte[] records = paxRecords(pax);
            byte[] header = header(paxName(entry.name()), (byte) 'x', 0, 0, 0, records.length, 0, "", 0, 0);
            out.write(header);
            out.write(records);
            pad(records.length);
        }
        out.write(header(
                entry.name(),
                entry.type().flag(),
                entry.mode(),
                entry.uid(),
                entry.gid(),
                entry.size(),
                seconds,
                entry.linkName(),
                entry.devMajor(),
                entry.devMinor()));
        if (entry.type() == TarType.REGULAR) {
            bounds.contentStarts(entry.size());
            copy(content, entry.size(), entry.name());
            bounds.contentEnds(entry.size());
            pad(entry.size());
        }
    }

    /** The two zero blocks that end an archive. */
    void finish() throws IOException {
        out.write(ZEROS);
        out.write(ZEROS);
    }

    private void copy(InputStream content, long size, String name) throws IOException {
        long left = size;
        while (left > 0) {
            int n = content.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) {
                throw new IOException(name + " shrank while it was being written to the layer (expected " + size
                        + " bytes); layer directories must not change while they are archived");
            }
            out.write(buffer, 0, n);
            left -= n;
        }
        if (content.read() >= 0) {
            throw new IOException(name + " grew while it was being written to the layer (expected " + size
                    + " bytes); layer directories must not change while they are archived");
        }
    }

    private void pad(long size) throws IOException {
        int padding = (int) ((BLOCK - size % BLOCK) % BLOCK);
        out.write(ZEROS, 0, padding);
    }

    private static byte[] header(
            String name,
            byte flag,
            int mode,
            long uid,
            long gid,
            long size,
            long seconds,
            String linkName,
            long major,
            long minor) {
        byte[] header = new byte[BLOCK];
        put(header, 0, 100, bytes(name));
        octal(header, 100, 8, mode & 07777);
        octal(header, 108, 8, uid > MAX_OCTAL_7 ? 0 : uid);
        octal(header, 116, 8, gid > MAX_OCTAL_7 ? 0 : gid);
        octal(header, 124, 12, size > MAX_OCTAL_11 ? 0 : size);
        octal(header, 136, 12, seconds < 0 || seconds > MAX_OCTAL_11 ? 0 : seconds);
        header[156] = flag;
        put(header, 157, 100, bytes(linkName));
        put(header, 257, 6, "ustar\0".getBytes(StandardCharsets.US_ASCII));
        put(header, 263, 2, "00".getBytes(StandardCharsets.US_ASCII));
        number(header, 329, 8, major);
        number(header, 337, 8, minor);
        Arrays.fill(header, 148, 156, (byte) ' ');
        long sum = 0;
        for (byte b : header) {
            sum += b & 0xff;
        }
        octal(header, 148, 7, sum);
        return header;
    }

    /** Octal when it fits; base-256 otherwise (device numbers have no pax key). */
    private static void number(byte[] header, int offset, int length, long value) {
        if (value >= 0 && value <= MAX_OCTAL_7) {
            octal(header, offset, length, value);
            return;
        }
        for (int i = length - 1; i >= 0; i--) {
            header[offset + i] = (byte) value;
            value >>= 8;
        }
        header[offset] |= (byte) 0x80;
    }

    /** {@code length - 1} zero-padded octal digits and a NUL. */
    private static void octal(byte[] header, int offset, int length, long value) {
        String digits = Long.toOctalString(value);
        int zeros = length - 1 - digits.length();
        for (int i = 0; i < zeros; i++) {
            header[offset + i] = '0';
        }
        for (int i = 0; i < digits.length(); i++) {
            header[offset + zeros + i] = (byte) digits.charAt(i);
        }
        header[offset + length - 1] = 0;
    }

    private static void put(byte[] header, int offset, int length, byte[] value) {
        System.arraycopy(value, 0, header, offset, Math.min(length, value.length));
    }

    /** Where Go's archive/tar names a pax header: a PaxHeaders.0 directory beside the entry, kept to 100 bytes. */
    private static String paxName(String name) {
        String trimmed = name.endsWith("/") ? name.substring(0, name.length() - 1) : name;
        int slash = trimmed.lastIndexOf('/');
        String dir = slash < 0 ? "" : trimmed.substring(0, slash + 1);
        String base = trimmed.substring(slash + 1);
        StringBuilder ascii = new StringBuilder();
        for (char c : (dir + "PaxHeaders.0/" + base).toCharArray()) {
            if (ascii.length() == 100) {
                break;
            }
            ascii.append(c < 0x80 ? c : '_');
        }
        return ascii.toString();
    }

    private static byte[] paxRecords(Map<String, byte[]> records) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        records.forEach((key, value) -> {
            byte[] keyBytes = bytes(key);
            int body = keyBytes.length + value.length + 3; // ' ', '=', '\n'
            int length = body + Integer.toString(body).length();
            if (Integer.toString(length).length() != Integer.toString(body).length()) {
                length = body + Integer.toString(length).length();
            }
            out.writeBytes(bytes(Integer.toString(length)));
            out.write(' ');
            out.writeBytes(keyBytes);
            out.write('=');
            out.writeBytes(value);
            out.write('\n');
        });
        return out.toByteArray();
    }

    private static boolean ascii(byte[] value) {
        for (byte b : value) {
            if (b < 0x20) {
                return false; // negative: a UTF-8 sequence; control characters are as unsafe in ustar
            }
        }
        return true;
    }

    private static byte[] bytes(String value) {
        return value.getBytes(StandardCharsets.UTF_8);
    }
}
