package dev.kiln.oci.content;

import java.io.IOException;
import java.util.Arrays;

/**
 * A separate JVM that writes a blob of unknown digest into a content store and never finishes, as a build that is
 * compressing a layer: the test kills it with SIGKILL to leave a real temporary file behind.
 */
public final class IngestingProcess {
    private IngestingProcess() {}

    public static void main(String[] args) throws IOException, InterruptedException {
        ContentStore store = ContentStore.open(java.nio.file.Path.of(args[0]));
        BlobWriter writer = store.writer(null, -1);
        byte[] chunk = new byte[256 << 10];
        Arrays.fill(chunk, (byte) 'k');
        writer.write(chunk);
        writer.flush();
        System.out.println("writing");
        System.out.flush();
        // Bounded: the test kills this process long before.
        Thread.sleep(60_000);
    }
}
