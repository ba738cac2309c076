package dev.kiln.oci.layer;

import dev.kiln.core.Digest;
import dev.kiln.oci.content.ContentStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.CRC32;

/**
 * {@link DeflateBlocks} kept beside a content store: for each of the last {@link #KEPT} layer blobs written, an
 * index file names the blob and lists its blocks (key, offset, length, CRC-32 of the deflated bytes). The bytes
 * themselves stay in the blob, so the index costs 48 bytes a block and nothing is stored twice.
 *
 * <p>One instance serves one layer write: it reads the indexes when opened, finds blocks for the write, collects the
 * blocks written, and {@link #remember(Digest)} stores them once the blob is committed. A block is handed back only
 * when its blob is still in the store and the bytes read match their CRC, so a pruned or damaged blob costs a
 * deflate, never a wrong layer. Index files are written whole and renamed into place, so concurrent writers and a
 * killed process leave either a complete index or none.
 */
public final class StoredDeflateBlocks implements DeflateBlocks {
    /** How many blobs' blocks are remembered: enough for the layers of the last few images built. */
    static final int KEPT = 64;

    private static final int MAGIC = 0x4b444231; // "KDB1"
    private static final int ENTRY_BYTES = DeflateKey.BYTES + 8 + 4 + 4;

    private final ContentStore content;
    private final Path directory;
    private final Map<DeflateKey, Location> known;
    private final List<Written> written = new ArrayList<>();

    private StoredDeflateBlocks(ContentStore content, Path directory, Map<DeflateKey, Location> known) {
        this.content = content;
        this.directory = directory;
        this.known = known;
    }

    /** The blocks of the blobs indexed in {@code directory} (made when missing) that {@code content} still holds. */
    public static StoredDeflateBlocks open(ContentStore content, Path directory) throws IOException {
        Files.createDirectories(directory);
        Map<DeflateKey, Location> known = new HashMap<>();
        for (Path index : newestFirst(directory)) {
            Digest blob = new Digest("sha256", index.getFileName().toString());
            if (content.exists(blob)) {
                read(index, blob, known);
            }
        }
        return new StoredDeflateBlocks(content, directory, known);
    }

    @Override
    public Optional<byte[]> find(DeflateKey key) {
        Location location = known.get(key);
        if (location == null) {
            return Optional.empty();
        }
        ByteBuffer bytes = ByteBuffer.allocate(location.length());
        try (FileChannel blob = FileChannel.open(content.blobPath(location.blob()), StandardOpenOption.READ)) {
            while (bytes.hasRemaining()) {
                if (blob.read(bytes, location.offset() + bytes.position()) < 0) {
                    return Optional.empty(); // shorter than the index says: deflate again
                }
            }
        } catch (IOException pruned) {
            return Optional.empty();
        }
        return crc(bytes.array()) == location.crc() ? Optional.of(bytes.array()) : Optional.empty();
    }

    @Override
    public synchronized void wrote(DeflateKey key, long offset, byte[] deflated) {
        written.add(new Written(key, offset, deflated.length, crc(deflated)));
    }

    /**
     * Stores the blocks written as those of {@code blob}, now committed, and forgets the indexes beyond the newest
     * {@link #KEPT}. Only a speed-up rests on it: a caller may report a failure and go on.
     */
    public synchronized void remember(Digest blob) throws IOException {
        if (written.isEmpty()) {
            return;
        }
        ByteBuffer index = ByteBuffer.allocate(4 + written.size() * ENTRY_BYTES).putInt(MAGIC);
        for (Written block : written) {
            block.key().write(index);
            index.putLong(block.offset()).putInt(block.length()).putInt(block.crc());
        }
        Path target = directory.resolve(blob.hex());
        Path temporary = Files.createTempFile(directory, "tmp-", "");
        try {
            Files.write(temporary, index.array());
            Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temporary);
        }
        List<Path> indexes = newestFirst(directory);
        for (Path old : indexes.subList(Math.min(KEPT, indexes.size()), indexes.size())) {
            Files.deleteIfExists(old);
        }
    }

    private static List<Path> newestFirst(Path directory) throws IOException {
        List<Path> indexes = new ArrayList<>();
        Map<Path, FileTime> modified = new HashMap<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory)) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                if (name.startsWith("tmp-") || name.length() != 64) {
                    continue;
                }
                try {
                    modified.put(file, Files.getLastModifiedTime(file));
                    indexes.add(file);
                } catch (NoSuchFileException gone) {
                    // trimmed by another writer meanwhile
                }
            }
        }
        indexes.sort(Comparator.comparing(modified::get, Comparator.reverseOrder()));
        return indexes;
    }

    /** Adds {@code index}'s blocks to {@code known}; an index that is not whole is skipped. */
    private static void read(Path index, Digest blob, Map<DeflateKey, Location> known) throws IOException {
        ByteBuffer bytes;
        try {
            bytes = ByteBuffer.wrap(Files.readAllBytes(index));
        } catch (NoSuchFileException gone) {
            return;
        }
        if (bytes.remaining() < 4 || bytes.getInt() != MAGIC || bytes.remaining() % ENTRY_BYTES != 0) {
            return;
        }
        while (bytes.hasRemaining()) {
            DeflateKey key = DeflateKey.read(bytes);
            known.putIfAbsent(key, new Location(blob, bytes.getLong(), bytes.getInt(), bytes.getInt()));
        }
    }

    private static int crc(byte[] bytes) {
        CRC32 crc = new CRC32();
        crc.update(bytes);
        return (int) crc.getValue();
    }

    private record Location(Digest blob, long offset, int length, int crc) {}

    private record Written(DeflateKey key, long offset, int length, int crc) {}
}
