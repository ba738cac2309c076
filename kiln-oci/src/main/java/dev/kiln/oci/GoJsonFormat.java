package dev.kiln.oci;

import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import dev.kiln.core.GoJson;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Locale;

/**
 * What Jackson needs to write JSON as Go's encoding/json does, for every module that writes Go's documents with
 * Jackson (image documents here, attestations in the engine): Go's string escapes as Jackson
 * {@link CharacterEscapes}, and a {@code time.Time}'s text.
 */
public final class GoJsonFormat {

    private GoJsonFormat() {}

    /**
     * Escapes as Go's encoding/json does, by {@link GoJson#escape}: Jackson's standard escapes already match Go for
     * quote, backslash and the named control characters, so only the characters Go escapes differently are custom.
     */
    public static CharacterEscapes escapes() {
        return new GoEscapes();
    }

    /** Go's RFC3339Nano in UTC, as a {@code time.Time} marshals: fractional seconds only when non-zero, trailing zeros dropped. */
    public static String time(Instant time) {
        LocalDateTime utc = LocalDateTime.ofInstant(time, ZoneOffset.UTC);
        StringBuilder text = new StringBuilder(String.format(
                Locale.ROOT,
                "%04d-%02d-%02dT%02d:%02d:%02d",
                utc.getYear(),
                utc.getMonthValue(),
                utc.getDayOfMonth(),
                utc.getHour(),
                utc.getMinute(),
                utc.getSecond()));
        int nanos = utc.getNano();
        if (nanos != 0) {
            String fraction = String.format(Locale.ROOT, "%09d", nanos).replaceFirst("0+$", "");
            text.append('.').append(fraction);
        }
        return text.append('Z').toString();
    }

    private static final class GoEscapes extends CharacterEscapes {
        private final int[] ascii;

        GoEscapes() {
            ascii = standardAsciiEscapesForJSON();
            for (int c = 0; c < 0x80; c++) {
                if (ascii[c] == ESCAPE_STANDARD || (ascii[c] == ESCAPE_NONE && GoJson.escape(c) != null)) {
                    ascii[c] = ESCAPE_CUSTOM;
                }
            }
        }

        @Override
        public int[] getEscapeCodesForAscii() {
            return ascii;
        }

        @Override
        public SerializableString getEscapeSequence(int ch) {
            String escaped = GoJson.escape(ch);
            return escaped == null ? null : new SerializedString(escaped);
        }
    }
}
