package dev.kiln.llb;

/** An option of {@link FileAction#symlink}: {@link Owner} or {@link CreatedAt}. */
public sealed interface SymlinkOption permits Owner, CreatedAt {}
