package dev.kiln.llb;

import dev.kiln.llb.pb.CacheSharingOpt;

/** How concurrent run steps share one cache mount. */
public enum CacheSharing {
    /** All writers use the same directory at once. */
    SHARED(CacheSharingOpt.SHARED),
    /** A second writer gets a fresh directory. */
    PRIVATE(CacheSharingOpt.PRIVATE),
    /** A second writer waits until the first releases the mount. */
    LOCKED(CacheSharingOpt.LOCKED);

    private final CacheSharingOpt wire;

    CacheSharing(CacheSharingOpt wire) {
        this.wire = wire;
    }

    CacheSharingOpt wire() {
        return wire;
    }
}
