package dev.kiln.engine.export;

import java.io.OutputStream;
import java.nio.file.Path;

/** Where a build's result goes. */
public sealed interface ExportTarget {

    /** The result's files, written into a directory on the host (created if missing). */
    record LocalDirectory(Path dest) implements ExportTarget {
    }

    /** The result's files as one tar archive, written to a file. */
    record TarFile(Path dest) implements ExportTarget {
    }

    /** The result's files as one tar archive, written to a stream the caller owns (stdout, say). */
    record TarStream(OutputStream out) implements ExportTarget {
    }
}
