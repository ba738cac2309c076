package dev.kiln.oci.layer;

import dev.kiln.core.BlockInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads a tar stream entry by entry without buffering entry data: ustar, POSIX pax (local and global extended
 * headers) and GNU (long names, base-256 numbers) as Docker, BuildKit, GNU tar and umoci write them.
 *
 * <p>Written here rather than taken from commons-compress because that decodes pax values as UTF-8 text, which
 * corrupts binary extended attributes such as {@code security.capability}.
 */
final class TarReader {
    static final int BLOCK = 512;
    /** Extension data (pax records, GNU long names) is the only thing held in memory; this bounds it. */
    private static final int MAX_EXTENSION = 16 << 20;

    private static final String XATTR = "SCHILY.xattr.";
    private static final String LIBARCHIVE_XATTR = "LIBARCHIVE.xattr.";

    private final InputStream in;
    private final byte[] block = new byte[BLOCK];
    private final byte[] scratch = new byte[16384];
    private final Map<String, byte[]> globals = new HashMap<>();
    private final InputStream content = new EntryContent();
    private long position;
    private long remaining;
    private long padding;
    private String currentName;

    TarReader(InputStream in) {
        this.in = in;
    }

    /** The next entry, or null at the end of the archive; unread data of the previous entry is skipped. */
    TarEntry next() throws IOException {
        discard(remaining, currentName);
        remaining = 0;
        if (padding > 0 && !skipPadding()) {
            return null;
        }
        padding = 0;
        currentName = null;
        Map<String, byte[]> local = new HashMap<>();
        String longName = null;
        String longLink = null;
        while (true) {
            long headerAt = position;
            int n = in.readNBytes(block, 0, BLOCK);
            position += n;
            if (n == 0) {
                return null; // archives without the end-of-archive blocks are common enough to accept
            }
            if (n < BLOCK) {
                throw new InvalidLayerException(null, "tar stream ends inside a header at offset " + headerAt);
            }
            if (isZero(block)) {
                return null;
            }
            String headerName = headerName();
            verifyChecksum(headerAt, headerName);
            byte flag = block[156];
            long size = number(124, 12, "size", headerName);
            switch (flag) {
                case 'x' -> local.putAll(parsePax(readExtension(size, headerName), headerName));
                case 'g' ->
                    parsePax(readExtension(size, headerName), headerName).forEach((key, value) -> {
                        if (value.length == 0) {
                            globals.remove(key);
                        } else {
                            globals.put(key, value);
                        }
                    });
                case 'L' -> longName = cString(readExtension(size, headerName));
                case 'K' -> longLink = cString(readExtension(size, headerName));
                case 'V' -> discard(size + pad(size), headerName);
                default -> {
                    Map<String, byte[]> pax = new HashMap<>(globals);
                    local.forEach((key, value) -> {
                        if (value.length == 0) {
                            pax.remove(key);
                        } else {
                            pax.put(key, value);
                        }
                    });
                    return entry(flag, size, longName, longLink, pax, headerName);
                }
            }
        }
    }

    /** The current entry's data; reads end where the entry's data ends. */
    InputStream content() {
        return content;
    }

    private TarEntry entry(
            byte flag, long headerSize, String longName, String longLink, Map<String, byte[]> pax, String headerName)
            throws IOException {
        String name = pax.containsKey("path") ? text(pax.get("path")) : longName != null ? longName : headerName;
        currentName = name;
        TarType type = switch (flag) {
            case '0', 0, '7' -> name.endsWith("/") ? TarType.DIRECTORY : TarType.REGULAR;
            case '1' -> TarType.HARD_LINK;
            case '2' -> TarType.SYMLINK;
            case '3' -> TarType.CHAR_DEVICE;
            case '4' -> TarType.BLOCK_DEVICE;
            case '5', 'D' -> TarType.DIRECTORY;
            case '6' -> TarType.FIFO;
            case 'S' -> throw new InvalidLayerException(name, "GNU sparse files are not supported in layers");
            default ->
                throw new InvalidLayerException(
                        name, "unsupported tar entry type '" + printable(flag) + "' at offset " + (position - BLOCK));
        };
        for (String key : pax.keySet()) {
            if (key.startsWith("GNU.sparse.")) {
                throw new InvalidLayerException(name, "GNU sparse files are not supported in layers");
            }
        }
        String linkName =
                pax.containsKey("linkpath") ? text(pax.get("linkpath")) : longLink != null ? longLink : field(157, 100);
        long size = pax.containsKey("size") ? decimal(pax.get("size"), "size", name) : headerSize;
        long uid = pax.containsKey("uid") ? decimal(pax.get("uid"), "uid", name) : number(108, 8, "uid", name);
        long gid = pax.containsKey("gid") ? decimal(pax.get("gid"), "gid", name) : number(116, 8, "gid", name);
        Instant modified = pax.containsKey("mtime")
                ? paxTime(pax.get("mtime"), name)
                : Instant.ofEpochSecond(number(136, 12, "mtime", name));
        int mode = (int) (number(100, 8, "mode", name) & 07777);
        long major = 0;
        long minor = 0;
        if (type == TarType.CHAR_DEVICE || type == TarType.BLOCK_DEVICE) {
            major = number(329, 8, "devmajor", name);
            minor = number(337, 8, "devminor", name);
        }
        // Data follows regular files (and GNU dump directories, whose listing is skipped); the other types carry
        // none, whatever their size field says, as in Go's archive/tar.
        long dataSize = type == TarType.REGULAR || flag == 'D' ? size : 0;
        if (dataSize < 0) {
            throw new InvalidLayerException(name, "negative size " + dataSize);
        }
        remaining = dataSize;
        padding = pad(dataSize);
        return new TarEntry(
                name,
                type,
                mode,
                uid,
                gid,
                type == TarType.REGULAR ? size : 0,
                modified,
                linkName,
                major,
                minor,
                xattrs(pax, name));
    }

    private static TreeMap<String, byte[]> xattrs(Map<String, byte[]> pax, String name) throws InvalidLayerException {
        TreeMap<String, byte[]> xattrs = new TreeMap<>();
        for (Map.Entry<String, byte[]> record : pax.entrySet()) {
            if (record.getKey().startsWith(XATTR)) {
                xattrs.put(record.getKey().substring(XATTR.length()), record.getValue());
            }
        }
        for (Map.Entry<String, byte[]> record : pax.entrySet()) {
            if (record.getKey().startsWith(LIBARCHIVE_XATTR)) {
                String attribute =
                        URLDecoder.decode(record.getKey().substring(LIBARCHIVE_XATTR.length()), StandardCharsets.UTF_8);
                try {
                    xattrs.putIfAbsent(attribute, Base64.getDecoder().decode(record.getValue()));
                } catch (IllegalArgumentException e) {
                    throw new InvalidLayerException(
                            name, "extended attribute " + attribute + " is not valid base64", e);
                }
            }
        }
        return xattrs;
    }

    private String headerName() {
        String name = field(0, 100);
        boolean posix = block[257] == 'u'
                && block[258] == 's'
                && block[259] == 't'
                && block[260] == 'a'
                && block[261] == 'r'
                && block[262] == 0;
        if (posix && block[345] != 0) {
            boolean star = block[508] == 't' && block[509] == 'a' && block[510] == 'r' && block[511] == 0;
            return field(345, star ? 131 : 155) + "/" + name;
        }
        return name;
    }

    private void verifyChecksum(long headerAt, String name) throws InvalidLayerException {
        long stored = number(148, 8, "checksum", name);
        long unsigned = 0;
        long signed = 0;
        for (int i = 0; i < BLOCK; i++) {
            int b = i >= 148 && i < 156 ? ' ' : block[i];
            unsigned += b & 0xff;
            signed += b;
        }
        if (stored != unsigned && stored != signed) {
            throw new InvalidLayerException(
                    name.isEmpty() ? null : name,
                    "corrupt tar header at offset " + headerAt + " (checksum mismatch): not a tar stream, or damaged");
        }
    }

    /** An octal field, or a base-256 one (GNU's encoding for values octal cannot hold). */
    private long number(int offset, int length, String what, String name) throws InvalidLayerException {
        if ((block[offset] & 0x80) != 0) {
            boolean negative = (block[offset] & 0x40) != 0;
            long value = negative ? -1 : 0;
            for (int i = 0; i < length; i++) {
                int b = block[offset + i] & 0xff;
                if (i == 0) {
                    b &= 0x7f;
                    if (negative) {
                        b |= 0x80;
                    }
                }
                if (!negative && (value >>> 55) != 0) {
                    throw new InvalidLayerException(name, "the " + what + " field overflows");
                }
                value = (value << 8) | b;
            }
            return value;
        }
        int i = offset;
        int end = offset + length;
        while (i < end && (block[i] == ' ' || block[i] == 0)) {
            i++;
        }
        long value = 0;
        for (; i < end && block[i] != ' ' && block[i] != 0; i++) {
            int digit = block[i] - '0';
            if (digit < 0 || digit > 7) {
                throw new InvalidLayerException(
                        name.isEmpty() ? null : name,
                        "the " + what + " field is not an octal number at offset " + (position - BLOCK + offset));
            }
            value = (value << 3) | digit;
        }
        return value;
    }

    private String field(int offset, int length) {
        int end = offset;
        while (end < offset + length && block[end] != 0) {
            end++;
        }
        return new String(block, offset, end - offset, StandardCharsets.UTF_8);
    }

    private byte[] readExtension(long size, String name) throws IOException {
        if (size < 0 || size > MAX_EXTENSION) {
            throw new InvalidLayerException(
                    name, "extended header of " + size + " bytes (at most " + MAX_EXTENSION + " are accepted)");
        }
        byte[] data = in.readNBytes((int) size);
        position += data.length;
        if (data.length < size) {
            throw new InvalidLayerException(name, "tar stream ends inside an extended header");
        }
        discard(pad(size), name);
        return data;
    }

    /** Pax records: "LENGTH KEY=VALUE\n", LENGTH counting the whole record; values stay bytes. */
    private static Map<String, byte[]> parsePax(byte[] data, String name) throws InvalidLayerException {
        Map<String, byte[]> records = new HashMap<>();
        int at = 0;
        while (at < data.length) {
            if (data[at] == 0) {
                break; // some writers pad the record block with NULs
            }
            int space = at;
            int length = 0;
            while (space < data.length && data[space] >= '0' && data[space] <= '9' && length < MAX_EXTENSION) {
                length = length * 10 + (data[space] - '0');
                space++;
            }
            int end = at + length;
            if (space == at
                    || space >= data.length
                    || data[space] != ' '
                    || end > data.length
                    || end <= space + 1
                    || data[end - 1] != '\n') {
                throw new InvalidLayerException(name, "malformed pax record at byte " + at + " of its extended header");
            }
            int equals = space + 1;
            while (equals < end && data[equals] != '=') {
                equals++;
            }
            if (equals >= end) {
                throw new InvalidLayerException(
                        name, "pax record without '=' at byte " + at + " of its extended header");
            }
            String key = new String(data, space + 1, equals - space - 1, StandardCharsets.UTF_8);
            byte[] value = Arrays.copyOfRange(data, equals + 1, end - 1);
            records.put(key, value);
            at = end;
        }
        return records;
    }

    private static long decimal(byte[] value, String what, String name) throws InvalidLayerException {
        try {
            long parsed = Long.parseLong(text(value).trim());
            if (parsed < 0) {
                throw new NumberFormatException();
            }
            return parsed;
        } catch (NumberFormatException e) {
            throw new InvalidLayerException(
                    name, "pax " + what + " \"" + text(value) + "\" is not a non-negative number");
        }
    }

    private static Instant paxTime(byte[] value, String name) throws InvalidLayerException {
        String text = text(value).trim();
        try {
            boolean negative = text.startsWith("-");
            String digits = negative ? text.substring(1) : text;
            int dot = digits.indexOf('.');
            long seconds = Long.parseLong(dot < 0 ? digits : digits.substring(0, dot));
            long nanos = 0;
            if (dot >= 0) {
                String fraction = (digits.substring(dot + 1) + "000000000").substring(0, 9);
                nanos = Long.parseLong(fraction);
            }
            return negative ? Instant.ofEpochSecond(-seconds, -nanos) : Instant.ofEpochSecond(seconds, nanos);
        } catch (NumberFormatException | DateTimeException e) {
            throw new InvalidLayerException(name, "pax mtime \"" + text + "\" is not a time in seconds");
        }
    }

    /**
     * Skips the zeros after an entry's data; false when the stream ends right where they would start. Go's archive/tar
     * (so containerd and BuildKit) reads that as the end of the archive, and umoci 0.4's insert writes such layers: it
     * never closes its tar writer, so neither the last padding nor the end blocks are written. Padding cut short
     * anywhere else is still a truncated stream.
     */
    private boolean skipPadding() throws IOException {
        int first = in.read();
        if (first < 0) {
            padding = 0;
            return false;
        }
        position++;
        discard(padding - 1, currentName);
        return true;
    }

    private void discard(long count, String name) throws IOException {
        while (count > 0) {
            int n = in.read(scratch, 0, (int) Math.min(scratch.length, count));
            if (n < 0) {
                throw new InvalidLayerException(name, "tar stream ends inside the entry's data");
            }
            position += n;
            count -= n;
        }
    }

    private static long pad(long size) {
        return (BLOCK - size % BLOCK) % BLOCK;
    }

    private static boolean isZero(byte[] data) {
        for (byte b : data) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    private static String cString(byte[] data) {
        int end = 0;
        while (end < data.length && data[end] != 0) {
            end++;
        }
        return new String(data, 0, end, StandardCharsets.UTF_8);
    }

    private static String text(byte[] value) {
        return new String(value, StandardCharsets.UTF_8);
    }

    private static String printable(byte flag) {
        return flag >= 0x20 && flag < 0x7f ? String.valueOf((char) flag) : String.format("\\x%02x", flag & 0xff);
    }

    private final class EntryContent extends BlockInputStream {
        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            if (remaining == 0) {
                return -1;
            }
            if (length == 0) {
                return 0;
            }
            int n = in.read(buffer, offset, (int) Math.min(length, remaining));
            if (n < 0) {
                throw new InvalidLayerException(currentName, "tar stream ends inside the entry's data");
            }
            remaining -= n;
            position += n;
            return n;
        }
    }
}
