import dev.kiln.oci.layer.LayerCompression;
import dev.kiln.oci.layer.LayerWriteOptions;
import dev.kiln.oci.layer.LayerWriter;
import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * bench/layer-export.sh's timing loop: in one warm JVM, round by round, Kiln's layer export (LayerWriter: walk, tar,
 * parallel gzip, both digests, as the daemon runs it with libcrypto's SHA-256) of DIR into a file, then
 * `tar -cf - -C DIR . | pigz -p2` into a file, so that the machine's load falls on both alike.
 * Usage: LayerExport DIR SCRATCH ROUNDS WARMUP
 */
public final class LayerExport {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Path scratch = Files.createDirectories(Path.of(args[1]));
        int rounds = Integer.parseInt(args[2]);
        int warmup = Integer.parseInt(args[3]);
        dev.kiln.core.Sha256.preferNative();
        List<Double> kiln = new ArrayList<>();
        List<Double> pigz = new ArrayList<>();
        long kilnBytes = 0;
        long pigzBytes = 0;
        for (int round = 0; round < warmup + rounds; round++) {
            Path blob = scratch.resolve("kiln.tar.gz");
            long start = System.nanoTime();
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(blob), 1 << 16)) {
                LayerWriter.write(dir, out, LayerWriteOptions.defaults().withCompression(LayerCompression.GZIP));
            }
            double kilnSeconds = (System.nanoTime() - start) / 1e9;
            kilnBytes = Files.size(blob);
            Files.delete(blob);

            Path piped = scratch.resolve("pigz.tar.gz");
            start = System.nanoTime();
            Process p = new ProcessBuilder(
                            "sh", "-c", "tar -cf - -C \"$1\" . | pigz -p2 > \"$2\"", "sh", dir.toString(),
                            piped.toString())
                    .inheritIO()
                    .start();
            if (p.waitFor() != 0) {
                throw new IllegalStateException("tar | pigz failed");
            }
            double pigzSeconds = (System.nanoTime() - start) / 1e9;
            pigzBytes = Files.size(piped);
            Files.delete(piped);
            if (round >= warmup) {
                kiln.add(kilnSeconds);
                pigz.add(pigzSeconds);
                System.out.printf("round %d: kiln %.3f s, pigz %.3f s%n", round - warmup + 1, kilnSeconds, pigzSeconds);
            }
        }
        double k = median(kiln);
        double p = median(pigz);
        List<Double> perRound = new ArrayList<>();
        for (int i = 0; i < kiln.size(); i++) {
            perRound.add(pigz.get(i) / kiln.get(i));
        }
        System.out.printf(
                "kiln %.3f s (%d bytes), tar | pigz -p2 %.3f s (%d bytes): kiln at %.0f%% of pigz's throughput"
                        + " (median of per-round ratios %.0f%%)%n",
                k, kilnBytes, p, pigzBytes, 100 * p / k, 100 * median(perRound));
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
