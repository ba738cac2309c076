package dev.kiln.oci.layer;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** Applies a layer file to a directory and prints the result; run by tests in a process without CAP_MKNOD. */
final class UnprivilegedApply {
    private UnprivilegedApply() {}

    public static void main(String[] args) throws Exception {
        try (InputStream blob = Files.newInputStream(Path.of(args[0]))) {
            AppliedLayer applied = LayerUnpacker.apply(blob, Path.of(args[1]));
            System.out.println("skipped=" + applied.skippedDevices());
            applied.warnings().forEach(System.out::println);
        }
    }
}
