package dev.kiln.engine;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An amount of disk as buildkitd.toml writes one for a GC limit: a number of bytes, or a percentage of the file
 * system that holds the state, resolved against that file system's size when the daemon starts.
 *
 * <p>The text forms are buildkitd's: {@code "10%"}; a number with a unit in powers of 1024 ({@code "10GB"} and
 * {@code "10g"} are both 10 GiB, as docker's RAMInBytes reads them; {@code "512MB"}, {@code "1.5gb"}); a plain
 * number of bytes.
 *
 * @param bytes   the amount in bytes; zero when a percentage is given
 * @param percent the amount as a percentage of the state's file system; zero when bytes are given
 */
public record DiskSpace(long bytes, long percent) {

    /** Nothing set: no limit of this kind. */
    public static final DiskSpace UNSET = new DiskSpace(0, 0);

    /** What a percentage resolves to where the file system's size is unknown (BuildKit's defaultCap). */
    static final long UNKNOWN_DISK_CAP = 2_000_000_000L;

    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d*)?|\\.\\d+) ?([kmgtp]?)(?:i?b)?");

    public DiskSpace {
        if (bytes < 0 || percent < 0) {
            throw new IllegalArgumentException("a disk space must not be negative");
        }
        if (bytes != 0 && percent != 0) {
            throw new IllegalArgumentException("a disk space is bytes or a percentage, not both");
        }
    }

    public static DiskSpace ofBytes(long bytes) {
        return new DiskSpace(bytes, 0);
    }

    public static DiskSpace ofPercent(long percent) {
        return new DiskSpace(0, percent);
    }

    /**
     * Reads {@code "10%"}, {@code "10GB"}, {@code "512m"} or {@code "1048576"}; an empty text is {@link #UNSET}.
     *
     * @throws IllegalArgumentException naming the text when it is none of these
     */
    public static DiskSpace parse(String text) {
        String value = text.strip();
        if (value.isEmpty()) {
            return UNSET;
        }
        if (value.endsWith("%")) {
            try {
                return ofPercent(Long.parseLong(value.substring(0, value.length() - 1)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "invalid disk space " + text + " (a percentage is a whole number " + "such as 10%)");
            }
        }
        Matcher m = SIZE.matcher(value.toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("invalid disk space " + text + " (expected bytes, a size such as "
                    + "10GB or 512MB, or a percentage of the disk such as 10%)");
        }
        int power = m.group(2).isEmpty() ? 0 : "kmgtp".indexOf(m.group(2)) + 1;
        double amount = Double.parseDouble(m.group(1)) * Math.pow(1024, power);
        if (amount >= Long.MAX_VALUE) {
            throw new IllegalArgumentException("invalid disk space " + text + ": too large");
        }
        return ofBytes((long) amount);
    }

    public boolean isUnset() {
        return bytes == 0 && percent == 0;
    }

    /**
     * Bytes, as buildkitd resolves them: a percentage of a disk of {@code diskTotal} bytes, rounded up to the next
     * whole number of GiB and counted in decimal GB (BuildKit's rounding, kept so that the same config means the
     * same limit in both); 2 GB where the disk's size is unknown (zero).
     */
    public long asBytes(long diskTotal) {
        if (bytes != 0 || percent == 0) {
            return bytes;
        }
        if (diskTotal <= 0) {
            return UNKNOWN_DISK_CAP;
        }
        long share = diskTotal / 100 * percent + diskTotal % 100 * percent / 100;
        return (share / (1L << 30) + 1) * 1_000_000_000L;
    }

    @Override
    public String toString() {
        return percent != 0 ? percent + "%" : bytes + "B";
    }
}
