package dev.kiln.solver;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.zip.CRC32;

/**
 * The bytes of one cache record file. Big-endian; a string is its UTF-8 length as a 4-byte int, then the bytes:
 * <pre>
 *   "kiln-cache-record-v1\n"  (raw ASCII, no length)
 *   string  the key the record is filed under (so a file renamed by hand is not believed)
 *   string  vertex name
 *   long    created, epoch seconds
 *   int     created, nanoseconds
 *   int     number of result ids, then that many strings
 *   long    CRC-32 of every byte before it
 * </pre>
 * Records are not synced ({@link CacheStore}), so the checksum tells a record a crash tore, as well as one a disk or
 * a hand changed.
 */
final class CacheRecordFormat {

    static final int MAX_BYTES = 1 << 20;
    private static final byte[] MAGIC = "kiln-cache-record-v1\n".getBytes(StandardCharsets.US_ASCII);

    private CacheRecordFormat() {}

    static byte[] encode(String key, CacheRecord record) {
        var bytes = new ByteArrayOutputStream();
        try (var out = new DataOutputStream(bytes)) {
            out.write(MAGIC);
            writeString(out, key);
            writeString(out, record.vertexName());
            out.writeLong(record.created().getEpochSecond());
            out.writeInt(record.created().getNano());
            out.writeInt(record.resultIds().size());
            for (String id : record.resultIds()) {
                writeString(out, id);
            }
            var crc = new CRC32();
            crc.update(bytes.toByteArray());
            out.writeLong(crc.getValue());
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory cannot fail", e);
        }
        if (bytes.size() > MAX_BYTES) {
            throw new IllegalArgumentException("cache record for key " + key + " would be " + bytes.size()
                    + " bytes, over the limit of " + MAX_BYTES);
        }
        return bytes.toByteArray();
    }

    /** The record, or empty if the bytes are not an intact record filed under this key. */
    static Optional<CacheRecord> decode(String key, byte[] bytes) {
        try {
            var in = ByteBuffer.wrap(bytes);
            byte[] magic = new byte[MAGIC.length];
            in.get(magic);
            if (!Arrays.equals(magic, MAGIC) || bytes.length < MAGIC.length + Long.BYTES) {
                return Optional.empty();
            }
            var crc = new CRC32();
            crc.update(bytes, 0, bytes.length - Long.BYTES);
            if (ByteBuffer.wrap(bytes, bytes.length - Long.BYTES, Long.BYTES).getLong() != crc.getValue()) {
                return Optional.empty();
            }
            if (!readString(in).equals(key)) {
                return Optional.empty();
            }
            String vertexName = readString(in);
            Instant created = Instant.ofEpochSecond(in.getLong(), in.getInt());
            int count = in.getInt();
            if (count < 0 || count > in.remaining()) {
                return Optional.empty();
            }
            List<String> ids = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                ids.add(readString(in));
            }
            if (in.remaining() != Long.BYTES) {
                return Optional.empty();
            }
            return Optional.of(new CacheRecord(vertexName, ids, created));
        } catch (BufferUnderflowException | IllegalArgumentException | DateTimeException e) {
            return Optional.empty();
        }
    }

    private static void writeString(DataOutputStream out, String value) throws IOException {
        byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
        out.writeInt(utf8.length);
        out.write(utf8);
    }

    private static String readString(ByteBuffer in) {
        int length = in.getInt();
        if (length < 0 || length > in.remaining()) {
            throw new IllegalArgumentException("string length " + length + " past the end of the record");
        }
        byte[] utf8 = new byte[length];
        in.get(utf8);
        return new String(utf8, StandardCharsets.UTF_8);
    }
}
