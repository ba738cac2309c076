package dev.kiln.worker.fs;

/** Who should own what a file action creates: numeric ids, or names the caller's {@link UserLookup} resolves. */
public sealed interface OwnerRef permits Owner, OwnerName {}
