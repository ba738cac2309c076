package dev.kiln.dockerfile.instructions;

import java.math.BigDecimal;
import java.util.Map;

/** Durations as Go writes and reads them ("1m30s", "500ms"), since HEALTHCHECK flags and history use Go's form. */
public final class GoDuration {

    private static final Map<String, Long> UNITS = Map.of(
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

    private GoDuration() {}

    /** Go's time.ParseDuration, in nanoseconds. */
    public static long parse(String text) throws InstructionException {
        String s = text;
        boolean negative = false;
        if (!s.isEmpty() && (s.charAt(0) == '-' || s.charAt(0) == '+')) {
            negative = s.charAt(0) == '-';
            s = s.substring(1);
        }
        if (s.equals("0")) {
            return 0;
        }
        if (s.isEmpty()) {
            throw invalid(text);
        }
        BigDecimal total = BigDecimal.ZERO;
        int i = 0;
        while (i < s.length()) {
            int start = i;
            while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '.')) {
                i++;
            }
            String number = s.substring(start, i);
            if (number.isEmpty()
                    || number.equals(".")
                    || number.chars().filter(c -> c == '.').count() > 1) {
                throw invalid(text);
            }
            int unitStart = i;
            while (i < s.length() && !Character.isDigit(s.charAt(i)) && s.charAt(i) != '.') {
                i++;
            }
            String unit = s.substring(unitStart, i);
            if (unit.isEmpty()) {
                throw new InstructionException("time: missing unit in duration \"" + text + "\"");
            }
            Long scale = UNITS.get(unit);
            if (scale == null) {
                throw new InstructionException("time: unknown unit \"" + unit + "\" in duration \"" + text + "\"");
            }
            total = total.add(
                    new BigDecimal(number.endsWith(".") ? number + "0" : number).multiply(BigDecimal.valueOf(scale)));
        }
        if (total.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw invalid(text);
        }
        long nanos = total.longValue();
        return negative ? -nanos : nanos;
    }

    /** Go's Duration.String(): "0s", "1.5s", "1m30s", "2h0m0s", "500ms", "1µs". */
    public static String format(long nanos) {
        if (nanos == 0) {
            return "0s";
        }
        StringBuilder out = new StringBuilder();
        boolean negative = nanos < 0;
        long u = Math.abs(nanos);
        if (u < 1_000_000_000L) {
            String unit;
            long scale;
            if (u < 1_000L) {
                return (negative ? "-" : "") + u + "ns";
            } else if (u < 1_000_000L) {
                unit = "µs";
                scale = 1_000L;
            } else {
                unit = "ms";
                scale = 1_000_000L;
            }
            out.append(fraction(u, scale)).append(unit);
        } else {
            long seconds = u / 1_000_000_000L;
            long fractionNanos = u % 1_000_000_000L;
            String secs = Long.toString(seconds % 60) + fractionDigits(fractionNanos, 1_000_000_000L) + "s";
            long minutes = seconds / 60;
            if (minutes > 0) {
                long hours = minutes / 60;
                secs = (minutes % 60) + "m" + secs;
                if (hours > 0) {
                    secs = hours + "h" + secs;
                }
            }
            out.append(secs);
        }
        return (negative ? "-" : "") + out;
    }

    private static String fraction(long value, long scale) {
        return (value / scale) + fractionDigits(value % scale, scale);
    }

    private static String fractionDigits(long remainder, long scale) {
        if (remainder == 0) {
            return "";
        }
        int digits = Long.toString(scale).length() - 1;
        String text = String.format("%0" + digits + "d", remainder);
        int end = text.length();
        while (end > 0 && text.charAt(end - 1) == '0') {
            end--;
        }
        return "." + text.substring(0, end);
    }

    private static InstructionException invalid(String text) {
        return new InstructionException("time: invalid duration \"" + text + "\"");
    }
}
