package dev.kiln.oci.registry;

/** What pushing a blob took. */
public enum PushResult {
    /** The repository had the blob already: nothing was sent. */
    ALREADY_PRESENT,
    /** The registry linked the blob from another repository: nothing was sent. */
    MOUNTED,
    /** The bytes were uploaded. */
    UPLOADED
}
