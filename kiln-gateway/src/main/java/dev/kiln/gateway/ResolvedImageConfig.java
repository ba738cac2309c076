package dev.kiln.gateway;

import dev.kiln.core.Digest;

/** An image reference resolved to its canonical name, the digest of its config and the config's bytes. */
public record ResolvedImageConfig(String ref, Digest digest, byte[] config) {

    public ResolvedImageConfig {
        config = config.clone();
    }

    @Override
    public byte[] config() {
        return config.clone();
    }
}
