package dev.kiln.core.sys;

import java.io.IOException;
import java.util.Map;

/** A failed system call: which call, on what, and the errno the kernel gave. */
public final class SyscallException extends IOException {
    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int EINTR = 4;
    public static final int EBADF = 9;
    public static final int EACCES = 13;
    public static final int EBUSY = 16;
    public static final int EEXIST = 17;
    public static final int EXDEV = 18;
    public static final int ENODEV = 19;
    public static final int ENOTDIR = 20;
    public static final int EINVAL = 22;
    public static final int ENOTTY = 25;
    public static final int ENOSPC = 28;
    public static final int EROFS = 30;
    public static final int ERANGE = 34;
    public static final int ENOSYS = 38;
    public static final int ELOOP = 40;
    public static final int ENODATA = 61;
    public static final int EOPNOTSUPP = 95;

    private static final Map<Integer, String> NAMES = Map.ofEntries(
            Map.entry(EPERM, "EPERM"),
            Map.entry(ENOENT, "ENOENT"),
            Map.entry(EINTR, "EINTR"),
            Map.entry(EBADF, "EBADF"),
            Map.entry(EACCES, "EACCES"),
            Map.entry(EBUSY, "EBUSY"),
            Map.entry(EEXIST, "EEXIST"),
            Map.entry(EXDEV, "EXDEV"),
            Map.entry(ENODEV, "ENODEV"),
            Map.entry(ENOTDIR, "ENOTDIR"),
            Map.entry(EINVAL, "EINVAL"),
            Map.entry(ENOTTY, "ENOTTY"),
            Map.entry(ENOSPC, "ENOSPC"),
            Map.entry(EROFS, "EROFS"),
            Map.entry(ERANGE, "ERANGE"),
            Map.entry(ENOSYS, "ENOSYS"),
            Map.entry(ELOOP, "ELOOP"),
            Map.entry(ENODATA, "ENODATA"),
            Map.entry(EOPNOTSUPP, "EOPNOTSUPP"));

    private final String call;
    private final int errno;

    public SyscallException(String call, String subject, int errno) {
        super(call + " " + subject + ": " + Libc.strerror(errno) + " (" + NAMES.getOrDefault(errno, "errno " + errno)
                + ")");
        this.call = call;
        this.errno = errno;
    }

    /** The C function that failed, e.g. "mount". */
    public String call() {
        return call;
    }

    public int errno() {
        return errno;
    }

    /** The caller lacks the privilege or the filesystem the support (EPERM, EACCES, EOPNOTSUPP). */
    public boolean notPermitted() {
        return errno == EPERM || errno == EACCES || errno == EOPNOTSUPP;
    }
}
