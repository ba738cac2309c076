package dev.kiln.gateway;

/** A path to stat. */
public record StatRequest(String path) {}
