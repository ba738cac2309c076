package dev.kiln.worker;

import java.util.Locale;

/** How progress lines state a transfer: its size and its rate, in units a person reads at a glance. */
public final class TransferRate {

    private TransferRate() {}

    /** For example "4.2 MB in 0.31s (13.5 MB/s)". */
    public static String describe(long bytes, long nanos) {
        double seconds = Math.max(nanos, 1) / 1e9;
        return size(bytes) + String.format(Locale.ROOT, " in %.2fs (%s/s)", seconds, size((long) (bytes / seconds)));
    }

    public static String size(long bytes) {
        if (bytes < 1000) {
            return bytes + " B";
        }
        String[] units = {"kB", "MB", "GB", "TB"};
        double value = bytes;
        int unit = -1;
        while (value >= 1000 && unit < units.length - 1) {
            value /= 1000;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
    }
}
