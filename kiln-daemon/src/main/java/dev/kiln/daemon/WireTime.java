package dev.kiln.daemon;

import com.google.protobuf.Timestamp;
import java.time.Instant;

/** Times on BuildKit's wire: a google.protobuf.Timestamp, as Status events and disk usage records carry them. */
final class WireTime {

    private WireTime() {}

    static Timestamp of(Instant instant) {
        return Timestamp.newBuilder()
                .setSeconds(instant.getEpochSecond())
                .setNanos(instant.getNano())
                .build();
    }

    static Instant instant(Timestamp timestamp) {
        return Instant.ofEpochSecond(timestamp.getSeconds(), timestamp.getNanos());
    }
}
