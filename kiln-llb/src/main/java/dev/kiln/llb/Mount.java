package dev.kiln.llb;

import java.util.Objects;

/** What a run step mounts at a path besides its root filesystem; see {@link RunOption#mount}. */
public sealed interface Mount permits Mount.Bind, Mount.Cache, Mount.Tmpfs {

    /** The filesystem of {@code source}, writable (its changes are an output of the step) unless readonly. */
    static Bind bind(State source) {
        return new Bind(source, "", false, false);
    }

    /** A directory that persists across builds under {@code id}. */
    static Cache cache(String id, CacheSharing sharing) {
        return new Cache(id, sharing, State.scratch());
    }

    /** An empty in-memory filesystem without a size limit. */
    static Tmpfs tmpfs() {
        return new Tmpfs(0);
    }

    /** An empty in-memory filesystem of at most {@code sizeBytes}. */
    static Tmpfs tmpfs(long sizeBytes) {
        return new Tmpfs(sizeBytes);
    }

    /**
     * @param selector the path inside {@code source} to mount, or "" for its root
     * @param noOutput writable during the step but its changes are thrown away
     */
    record Bind(State source, String selector, boolean readonly, boolean noOutput) implements Mount {
        public Bind {
            Objects.requireNonNull(source, "source");
            Objects.requireNonNull(selector, "selector");
        }

        public Bind withSelector(String path) {
            return new Bind(source, path, readonly, noOutput);
        }

        public Bind asReadonly() {
            return new Bind(source, selector, true, noOutput);
        }

        public Bind withoutOutput() {
            return new Bind(source, selector, readonly, true);
        }
    }

    /** @param from the content the cache starts with when it is first created */
    /**
     * A cache mount. {@code from} with {@code selector} is what a new cache starts with (a
     * directory in that state; empty selector for its root), as BuildKit seeds a cache mount.
     */
    record Cache(String id, CacheSharing sharing, State from, String selector) implements Mount {
        public Cache {
            if (id == null || id.isEmpty()) {
                throw new IllegalArgumentException("a cache mount needs an id");
            }
            Objects.requireNonNull(sharing, "sharing");
            Objects.requireNonNull(from, "from");
            selector = selector == null ? "" : selector;
        }

        public Cache(String id, CacheSharing sharing, State from) {
            this(id, sharing, from, "");
        }

        public Cache seededFrom(State initial) {
            return new Cache(id, sharing, initial, selector);
        }

        /** Seeds a new cache with this path of the seed state instead of its root. */
        public Cache withSelector(String path) {
            return new Cache(id, sharing, from, path);
        }
    }

    record Tmpfs(long sizeBytes) implements Mount {
        public Tmpfs {
            if (sizeBytes < 0) {
                throw new IllegalArgumentException("tmpfs size must be >= 0, not " + sizeBytes);
            }
        }
    }
}
