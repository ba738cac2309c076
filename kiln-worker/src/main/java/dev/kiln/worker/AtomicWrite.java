package dev.kiln.worker;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** Small files of engine state written so that a reader sees the old content or the new, never a part. */
public final class AtomicWrite {

    private AtomicWrite() {}

    /** Writes to a temp file beside {@code target}, forces it to disk, then renames it over {@code target}. */
    public static void write(Path target, byte[] content) throws IOException {
        Path temp = Files.createTempFile(target.getParent(), ".tmp-", "");
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(content);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
