package dev.kiln.oci.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * A tree of 3,000 small text files in ten directories ({@code dir0/file0.txt} to {@code dir9/file2999.txt}): a few MB
 * of tar, so that a gzip layer of it has many deflate blocks. The same on every call, so that a test can change one
 * file and know which blocks that touches.
 */
public final class TextTree {
    private static final int FILES = 3000;

    private TextTree() {}

    /** Writes the tree into {@code root} (created when missing) and gives {@code root}. */
    public static Path write(Path root) throws IOException {
        Random random = new Random(7);
        for (int i = 0; i < FILES; i++) {
            Path file = root.resolve("dir" + i % 10).resolve("file" + i + ".txt");
            Files.createDirectories(file.getParent());
            StringBuilder text = new StringBuilder();
            for (int w = random.nextInt(40, 160); w > 0; w--) {
                text.append("word").append(random.nextInt(300)).append(' ');
            }
            Files.writeString(file, text);
        }
        return root;
    }
}
