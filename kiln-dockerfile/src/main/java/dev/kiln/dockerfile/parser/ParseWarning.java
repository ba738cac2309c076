package dev.kiln.dockerfile.parser;

/** Something the parser accepts but warns about (an empty continuation line), at {@code line} (1-based). */
public record ParseWarning(String message, int line) {}
