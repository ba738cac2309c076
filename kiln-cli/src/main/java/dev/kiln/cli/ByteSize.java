package dev.kiln.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sizes as docker's flags take them ({@code --shm-size 128m}): a number, optionally with a
 * fraction, then an optional unit k, m, g, t or p in powers of 1024, optionally followed by "i"
 * and/or "b" ("64MiB", "1g", "512kb", "1048576").
 */
final class ByteSize {

    private static final Pattern SIZE = Pattern.compile("^(\\d+(?:\\.\\d+)?) ?([kmgtp])?i?b?$");

    private ByteSize() {}

    static long parse(String flag, String text) throws UsageException {
        Matcher m = SIZE.matcher(text.strip().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new UsageException(
                    flag + ": expected a size such as 64m, 1g or a number of bytes, got '" + text + "'");
        }
        int power = m.group(2) == null ? 0 : "kmgtp".indexOf(m.group(2)) + 1;
        double bytes = Double.parseDouble(m.group(1)) * Math.pow(1024, power);
        if (bytes >= Long.MAX_VALUE) {
            throw new UsageException(flag + ": " + text + " is too large");
        }
        return (long) bytes;
    }
}
