package dev.kiln.worker.runtime;

import java.nio.file.Path;
import java.util.Objects;

/** Something mounted into the container at {@link #destination()}, an absolute path inside it. */
public sealed interface MountSpec permits MountSpec.Bind, MountSpec.Tmpfs {
    String destination();

    /** A host directory or file, e.g. another snapshot's {@code Mounted.path()}. */
    record Bind(Path source, String destination, boolean readOnly) implements MountSpec {
        public Bind {
            Objects.requireNonNull(source, "bind mount source");
            if (!source.isAbsolute()) {
                throw new IllegalArgumentException("bind mount source " + source + " must be an absolute path");
            }
            destination = MountSpecs.checkDestination(destination);
        }
    }

    /** A fresh, empty in-memory filesystem; {@code sizeBytes} 0 leaves the kernel's default (half of RAM). */
    record Tmpfs(String destination, long sizeBytes) implements MountSpec {
        public Tmpfs {
            destination = MountSpecs.checkDestination(destination);
            if (sizeBytes < 0) {
                throw new IllegalArgumentException("tmpfs at " + destination + ": size must not be negative");
            }
        }
    }
}

final class MountSpecs {
    private MountSpecs() {}

    static String checkDestination(String destination) {
        Objects.requireNonNull(destination, "mount destination");
        if (!destination.startsWith("/")) {
            throw new IllegalArgumentException("mount destination \"" + destination + "\" must be an absolute path");
        }
        String normal = Path.of(destination).normalize().toString();
        if (normal.equals("/")) {
            throw new IllegalArgumentException("cannot mount over the container's root \"/\"");
        }
        return normal;
    }
}
