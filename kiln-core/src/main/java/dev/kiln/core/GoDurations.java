package dev.kiln.core;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Map;

/**
 * Durations in Go's form ("90s", "1m30s", "1.5h"), as buildctl and docker take them on the command line,
 * buildkitd.toml writes them, and Dockerfile HEALTHCHECK flags and image history use them. Here, not in the
 * Dockerfile frontend's module, because the daemon's client and the daemon read them too and must not load frontend
 * classes.
 */
public final class GoDurations {

    /** Nanoseconds per unit; Go takes both the micro sign (U+00B5) and the Greek mu (U+03BC) for microseconds. */
    private static final Map<String, Long> NANOS = Map.of(
            "ns",
            1L,
            "us",
            1_000L,
            "µs",
            1_000L,
            "μs",
            1_000L,
            "ms",
            1_000_000L,
            "s",
            1_000_000_000L,
            "m",
            60_000_000_000L,
            "h",
            3_600_000_000_000L);

    private static final long SECOND = 1_000_000_000L;

    private GoDurations() {}

    /** A non-negative duration, without a sign; "0" alone is zero. */
    public static Duration parse(String text) {
        if (text.startsWith("-") || text.startsWith("+")) {
            throw new IllegalArgumentException("not a duration: " + text);
        }
        try {
            return Duration.ofNanos(parseNanos(text));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a duration: " + text, e);
        }
    }

    /**
     * Go's {@code time.ParseDuration}: an optional sign, then numbers with a unit each (ns, us, µs, ms, s, m, h),
     * such as "-1.5h" or "2h45m"; "0" alone needs no unit.
     *
     * @return the duration in nanoseconds
     * @throws IllegalArgumentException with Go's message, e.g. {@code time: unknown unit "d" in duration "3d"}
     */
    public static long parseNanos(String text) {
        String rest = text;
        boolean negative = false;
        if (!rest.isEmpty() && (rest.charAt(0) == '-' || rest.charAt(0) == '+')) {
            negative = rest.charAt(0) == '-';
            rest = rest.substring(1);
        }
        if (rest.equals("0")) {
            return 0;
        }
        if (rest.isEmpty()) {
            throw invalid(text);
        }
        BigDecimal total = BigDecimal.ZERO;
        int at = 0;
        while (at < rest.length()) {
            int numberStart = at;
            int dots = 0;
            while (at < rest.length() && (isDigit(rest.charAt(at)) || rest.charAt(at) == '.')) {
                dots += rest.charAt(at) == '.' ? 1 : 0;
                at++;
            }
            String number = rest.substring(numberStart, at);
            if (number.isEmpty() || number.equals(".") || dots > 1) {
                throw invalid(text);
            }
            int unitStart = at;
            while (at < rest.length() && !isDigit(rest.charAt(at)) && rest.charAt(at) != '.') {
                at++;
            }
            String unit = rest.substring(unitStart, at);
            if (unit.isEmpty()) {
                throw new IllegalArgumentException("time: missing unit in duration \"" + text + "\"");
            }
            Long scale = NANOS.get(unit);
            if (scale == null) {
                throw new IllegalArgumentException("time: unknown unit \"" + unit + "\" in duration \"" + text + "\"");
            }
            // "5." is Go's 5.0; BigDecimal wants a digit after the point
            String digits = number.endsWith(".") ? number + "0" : number;
            total = total.add(new BigDecimal(digits).multiply(BigDecimal.valueOf(scale)));
        }
        if (total.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw invalid(text);
        }
        return negative ? -total.longValue() : total.longValue();
    }

    /**
     * Go's {@code Duration.String}: "0s", "500ms", "1.5µs", "1m30s", "2h0m0s"; below a second in the largest unit
     * that keeps a whole part, from a second on as hours, minutes and seconds with a fraction.
     */
    public static String format(long nanos) {
        if (nanos == 0) {
            return "0s";
        }
        String sign = nanos < 0 ? "-" : "";
        long magnitude = Math.abs(nanos); // Long.MIN_VALUE stays negative: read unsigned below
        if (Long.compareUnsigned(magnitude, 1_000L) < 0) {
            return sign + magnitude + "ns";
        }
        if (Long.compareUnsigned(magnitude, 1_000_000L) < 0) {
            return sign + decimal(magnitude, 1_000L) + "µs";
        }
        if (Long.compareUnsigned(magnitude, SECOND) < 0) {
            return sign + decimal(magnitude, 1_000_000L) + "ms";
        }
        long seconds = Long.divideUnsigned(magnitude, SECOND);
        long hours = seconds / 3600;
        long minutes = seconds / 60 % 60;
        String text = decimal(seconds % 60 * SECOND + Long.remainderUnsigned(magnitude, SECOND), SECOND) + "s";
        if (hours > 0 || minutes > 0) {
            text = minutes + "m" + text;
        }
        if (hours > 0) {
            text = hours + "h" + text;
        }
        return sign + text;
    }

    /** {@code value / scale} with its fraction, trailing zeros dropped ("1.5", "2"). */
    private static String decimal(long value, long scale) {
        long whole = Long.divideUnsigned(value, scale);
        long remainder = Long.remainderUnsigned(value, scale);
        if (remainder == 0) {
            return Long.toString(whole);
        }
        String fraction = Long.toString(scale + remainder).substring(1).replaceFirst("0+$", "");
        return whole + "." + fraction;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static IllegalArgumentException invalid(String text) {
        return new IllegalArgumentException("time: invalid duration \"" + text + "\"");
    }
}
