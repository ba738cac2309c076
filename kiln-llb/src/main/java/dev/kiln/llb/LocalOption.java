package dev.kiln.llb;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/** An option of {@link State#local}: which files of the client's directory to send, and how. */
public sealed interface LocalOption
        permits LocalOption.IncludePatterns,
                LocalOption.ExcludePatterns,
                LocalOption.FollowPaths,
                LocalOption.SharedKeyHint,
                LocalOption.SessionId,
                LocalOption.Differ,
                OpOption {

    /** Only files matching one of these patterns (none: everything). */
    static LocalOption include(String... patterns) {
        return new IncludePatterns(List.of(patterns));
    }

    static LocalOption exclude(String... patterns) {
        return new ExcludePatterns(List.of(patterns));
    }

    /** Paths whose symlinks are followed so that their targets are sent too. */
    static LocalOption followPaths(String... paths) {
        return new FollowPaths(List.of(paths));
    }

    /** Lets builds of the same directory from different sessions reuse each other's transfer. */
    static LocalOption sharedKeyHint(String hint) {
        return new SharedKeyHint(hint);
    }

    /** The client session that owns the directory. */
    static LocalOption sessionId(String id) {
        return new SessionId(id);
    }

    /** How a re-sent directory is compared with the copy the worker has. */
    static LocalOption differ(LocalDiffer differ, boolean required) {
        return new Differ(differ, required);
    }

    record IncludePatterns(List<String> patterns) implements LocalOption {
        public IncludePatterns {
            patterns = List.copyOf(patterns);
        }
    }

    record ExcludePatterns(List<String> patterns) implements LocalOption {
        public ExcludePatterns {
            patterns = List.copyOf(patterns);
        }
    }

    record FollowPaths(List<String> paths) implements LocalOption {
        public FollowPaths {
            paths = List.copyOf(paths);
        }
    }

    record SharedKeyHint(String hint) implements LocalOption {
        public SharedKeyHint {
            Objects.requireNonNull(hint, "hint");
        }
    }

    record SessionId(String id) implements LocalOption {
        public SessionId {
            Objects.requireNonNull(id, "id");
        }
    }

    record Differ(LocalDiffer differ, boolean required) implements LocalOption {
        public Differ {
            Objects.requireNonNull(differ, "differ");
        }
    }

    /** BuildKit's local differs; each one's name there is its name here in lower case. */
    enum LocalDiffer {
        /** Re-send every file. */
        NONE,
        /** Re-send files whose size, mtime, mode, owner or link target changed (the default). */
        METADATA;

        String attr() {
            return name().toLowerCase(Locale.ROOT);
        }
    }
}
