package dev.kiln.worker.runtime;

import java.util.Objects;

/** One extra line of the container's /etc/hosts: {@code address host}. */
public record HostEntry(String host, String address) {
    public HostEntry {
        requireWord(host, "host name");
        requireWord(address, "address of host " + host);
    }

    private static void requireWord(String value, String what) {
        Objects.requireNonNull(value, what);
        if (value.isBlank() || value.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("extra host: " + what + " \"" + value + "\" must be one word");
        }
    }
}
