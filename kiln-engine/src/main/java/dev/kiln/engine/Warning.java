package dev.kiln.engine;

import dev.kiln.gateway.WarnOpts;

/** A warning a frontend or op raised during a build, shown to the user at its end. */
public record Warning(String vertexDigest, String message, WarnOpts options) {}
