package dev.kiln.llb;

/** An option of {@link FileAction#mkfile}: {@link Owner} or {@link CreatedAt}. */
public sealed interface MkfileOption permits Owner, CreatedAt {}
