package dev.kiln.oci.registry;

import java.io.IOException;
import java.io.InputStream;

/** Where the bytes of a blob to push come from; opened again for each attempt. */
@FunctionalInterface
public interface BlobSource {
    InputStream open() throws IOException;
}
