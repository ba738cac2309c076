package dev.kiln.worker.fs;

import java.io.IOException;

/**
 * Resolves owner names to ids, normally from the /etc/passwd and /etc/group of the root being written. The file
 * actions never read those files themselves, so the caller decides which root's user database counts.
 */
@FunctionalInterface
public interface UserLookup {

    Owner resolve(OwnerName name) throws IOException;

    /** A lookup for callers that only ever pass numeric owners; names are refused with a clear message. */
    static UserLookup idsOnly() {
        return name -> {
            try {
                int uid = Integer.parseInt(name.user());
                int gid = name.group() == null ? uid : Integer.parseInt(name.group());
                return new Owner(uid, gid);
            } catch (NumberFormatException e) {
                throw new IOException("cannot resolve owner " + name.user()
                        + (name.group() == null ? "" : ":" + name.group()) + " without a user database");
            }
        };
    }
}
