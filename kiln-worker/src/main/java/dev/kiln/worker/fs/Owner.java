package dev.kiln.worker.fs;

/** A resolved owner: numeric user and group ids. */
public record Owner(int uid, int gid) implements OwnerRef {

    public static final Owner ROOT = new Owner(0, 0);

    public Owner {
        if (uid < 0 || gid < 0) {
            throw new IllegalArgumentException("owner ids must not be negative: " + uid + ":" + gid);
        }
    }
}
