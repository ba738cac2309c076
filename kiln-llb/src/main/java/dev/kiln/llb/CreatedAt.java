package dev.kiln.llb;

import java.time.Instant;
import java.util.Objects;

/** The modification time a file action gives what it creates, instead of the time it runs. */
public record CreatedAt(Instant time) implements MkdirOption, MkfileOption, CopyOption, SymlinkOption {

    public CreatedAt {
        Objects.requireNonNull(time, "time");
    }

    public static CreatedAt of(Instant time) {
        return new CreatedAt(time);
    }

    long unixNanos() {
        return Math.addExact(Math.multiplyExact(time.getEpochSecond(), 1_000_000_000L), time.getNano());
    }
}
