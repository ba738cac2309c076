package dev.kiln.api.session;

import java.io.OutputStream;
import java.nio.file.Path;

/** Where a client puts one export the daemon pushes to it over FileSend (BuildKit's SyncTarget outputs). */
public sealed interface FileTarget {

    /** A file (oci, docker, tar exporters): written to a temporary file beside it and renamed on success. */
    record ToFile(Path path) implements FileTarget {}

    /** A stream such as stdout: flushed at the end, never closed. */
    record ToStream(OutputStream out) implements FileTarget {}

    /** A directory (local exporter): the client receives fsutil packets and merges them into it. */
    record ToDirectory(Path dir) implements FileTarget {}
}
