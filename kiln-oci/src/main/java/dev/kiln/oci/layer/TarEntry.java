package dev.kiln.oci.layer;

import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One tar entry's header after PAX and GNU extensions are folded in. {@code mode} holds the permission bits with
 * setuid, setgid and sticky; {@code xattrs} values are raw bytes, as file capabilities are binary.
 */
record TarEntry(
        String name,
        TarType type,
        int mode,
        long uid,
        long gid,
        long size,
        Instant modified,
        String linkName,
        long devMajor,
        long devMinor,
        SortedMap<String, byte[]> xattrs) {

    TarEntry {
        xattrs = Collections.unmodifiableSortedMap(new TreeMap<>(xattrs));
    }

    static TarEntry of(String name, TarType type, int mode, long uid, long gid, Instant modified) {
        return new TarEntry(name, type, mode, uid, gid, 0, modified, "", 0, 0, new TreeMap<>());
    }

    TarEntry withSize(long newSize) {
        return new TarEntry(name, type, mode, uid, gid, newSize, modified, linkName, devMajor, devMinor, xattrs);
    }

    TarEntry withLinkName(String newLinkName) {
        return new TarEntry(name, type, mode, uid, gid, size, modified, newLinkName, devMajor, devMinor, xattrs);
    }

    TarEntry withDevice(long major, long minor) {
        return new TarEntry(name, type, mode, uid, gid, size, modified, linkName, major, minor, xattrs);
    }

    TarEntry withXattrs(Map<String, byte[]> newXattrs) {
        return new TarEntry(
                name, type, mode, uid, gid, size, modified, linkName, devMajor, devMinor, new TreeMap<>(newXattrs));
    }
}
