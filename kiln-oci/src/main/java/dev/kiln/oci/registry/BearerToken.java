package dev.kiln.oci.registry;

import java.time.Instant;

/** A registry token and when it stops being valid. */
record BearerToken(String value, Instant expires) {

    boolean validAt(Instant now) {
        // A token about to expire could lapse between sending and the registry's check.
        return now.plusSeconds(5).isBefore(expires);
    }
}
