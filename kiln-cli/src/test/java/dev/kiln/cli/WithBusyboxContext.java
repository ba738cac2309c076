package dev.kiln.cli;

import dev.kiln.worker.BusyboxRootfs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The base of the kiln command tests whose Dockerfiles start FROM busybox without a registry: before each test, in
 * a fresh temporary directory {@link #tmp}, a busybox root filesystem {@link #rootfs} (the builds pass it as the
 * build context named busybox) and an empty build context {@link #context}. A subclass's own {@code @BeforeEach}
 * methods run after this one's, so they may write the context's Dockerfile.
 */
abstract class WithBusyboxContext {

    @TempDir
    Path tmp;

    Path rootfs;
    Path context;

    @BeforeEach
    void busyboxAndContext() throws IOException {
        rootfs = BusyboxRootfs.populate(Files.createDirectories(tmp.resolve("rootfs")));
        context = Files.createDirectories(tmp.resolve("context"));
    }
}
